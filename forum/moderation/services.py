"""Moderator actions. Each records a ModerationEvent in the same transaction."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import ModerationEvent, Thread, User, utcnow


def _record(actor: User, action: str, at: datetime, reason: str = "", **targets) -> None:
    db.session.add(
        ModerationEvent(actor=actor, action=action, reason=reason, created_at=at, **targets)
    )


def lock_thread(thread: Thread, moderator: User, reason: str, at: datetime | None = None) -> bool:
    """Lock `thread`; False (and nothing recorded) if it was already locked."""
    if thread.is_locked:
        return False
    thread.locked_at = at or utcnow()
    thread.locked_by = moderator
    thread.lock_reason = reason.strip()
    _record(moderator, "lock", thread.locked_at, thread.lock_reason, thread=thread)
    db.session.commit()
    return True


def unlock_thread(thread: Thread, moderator: User, reason: str = "") -> bool:
    if not thread.is_locked:
        return False
    thread.locked_at = None
    thread.locked_by = None
    thread.lock_reason = ""
    _record(moderator, "unlock", utcnow(), reason.strip(), thread=thread)
    db.session.commit()
    return True


def pin_thread(thread: Thread, moderator: User, at: datetime | None = None) -> bool:
    if thread.is_pinned:
        return False
    thread.pinned_at = at or utcnow()
    thread.pinned_by = moderator
    _record(moderator, "pin", thread.pinned_at, thread=thread)
    db.session.commit()
    return True
