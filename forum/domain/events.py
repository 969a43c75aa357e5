"""The moderation log, and the notices sent to the people an action concerns.

Every moderator or admin action records one ModerationEvent in the same
transaction as the change (`record`), may tell the member affected through the
outbox (`tell`), and ends with `commit`, which also sends the queued mail. The log
is append-only: nothing edits or deletes an event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import requestlog
from ..extensions import db
from ..models import ModerationEvent, User, utcnow
from . import mail, notifications


class ModerationError(ValueError):
    """An action that cannot be done in the current state; the message says why."""


def record(actor: User, action: str, at: datetime | None = None, reason: str = "",
           **targets) -> ModerationEvent:
    event = ModerationEvent(actor=actor, action=action, reason=reason.strip(),
                            created_at=at or utcnow(), **targets)
    db.session.add(event)
    db.session.info[_LAST_EVENT] = event
    requestlog.event("moderation", actor=actor.id, action=action)
    return event


_LAST_EVENT = "forum.events.last"


def tell(user: User | None, message, reason: str = "", link: str = "") -> None:
    """Mail the person an action was taken against (not when they did it themselves).
    `message` is the whole sentence ("A moderator hid one of your posts."), a lazy text
    (flask_babel.lazy_gettext), so the mail reads it in the recipient's language."""
    if user is not None and user.email and user.deleted_at is None:
        mail.queue(user, "moderation", message=message, reason=reason, link=link)
    # And in the forum: a notification naming the action just recorded, with its reason.
    event = db.session.info.pop(_LAST_EVENT, None)
    if user is not None and event is not None:
        db.session.flush()
        notifications.moderated(user, event.id, event.actor, event.action, reason,
                                event.thread_id, event.post_id)


def archive(admin: User, item, archived: bool, action: str, name: str) -> None:
    """Archive (or reopen) an admin-kept list entry — a category, a label — and log it
    as "<action>: archive" or "<action>: reopen"."""
    item.archived_at = utcnow() if archived else None
    record(admin, f"{action}: {'archive' if archived else 'reopen'}", reason=name)
    commit()


def commit() -> None:
    """End an action: commit it with its event, then send the mail it queued."""
    db.session.info.pop(_LAST_EVENT, None)
    db.session.commit()
    mail.send_queued()


def log_page(page: int, per_page: int, actor: User | None = None, action: str = "",
             subject: User | None = None):
    """One page of the log, newest first, optionally narrowed to an actor, an action
    (by its prefix) or the member it concerned."""
    query = select(ModerationEvent).order_by(ModerationEvent.created_at.desc(),
                                             ModerationEvent.id.desc())
    if actor is not None:
        query = query.where(ModerationEvent.actor_id == actor.id)
    if subject is not None:
        query = query.where(ModerationEvent.subject_id == subject.id)
    if action:
        query = query.where(ModerationEvent.action.startswith(action))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
