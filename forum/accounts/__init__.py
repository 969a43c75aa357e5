"""Joining, signing in, profiles."""

from .views import bp

__all__ = ["bp"]
