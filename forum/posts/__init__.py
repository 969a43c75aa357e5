"""Replies, edits, history, deleting, reporting and labelling posts; drafts."""

from .views import bp

__all__ = ["bp"]
