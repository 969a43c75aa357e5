"""Staying in touch: the notifications page and its bell, the private feed, and the
buttons that watch or mute a thread, a category, a tag or a member."""

from .views import bp

__all__ = ["bp"]
