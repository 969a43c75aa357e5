"""A member's settings, under /settings."""

from .views import bp

__all__ = ["bp"]
