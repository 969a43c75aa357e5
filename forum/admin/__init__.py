"""The admin area, behind one guard."""

from .views import bp

__all__ = ["bp"]
