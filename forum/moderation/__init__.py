"""The moderators' queue, log and actions, behind one guard."""

from .views import bp

__all__ = ["bp"]
