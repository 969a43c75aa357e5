"""Safety alerts: what the forum itself puts in front of moderators (models.SafetyAlert).
An alert never acts on its own: nothing is hidden or blocked because one was raised."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AlertKind, Post, SafetyAlert, Thread, User


def raise_alert(kind: AlertKind, key: str, *, post: Post | None = None,
                thread: Thread | None = None, subject: User | None = None,
                detail: str = "") -> SafetyAlert:
    """Open an alert about `key` ("crisis:post:12") unless one is open already, in the
    caller's transaction (nothing is committed here). Two requests raising the same
    alert at once meet at the unique index on open keys: one alert, both return it."""
    open_now = _open(key)
    if open_now is not None:
        return open_now
    alert = SafetyAlert(kind=kind.value, key=key, post=post, subject=subject, detail=detail,
                        thread=thread if thread is not None else (post.thread if post else None))
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return _open(key)
    return alert


def _open(key: str) -> SafetyAlert | None:
    return db.session.scalar(
        select(SafetyAlert).where(SafetyAlert.key == key, SafetyAlert.resolved_at.is_(None)))


def open_alerts() -> list[SafetyAlert]:
    """Open alerts as the queue lists them: someone who may be at risk first, then
    escalated ones, then the newest."""
    return db.session.scalars(
        select(SafetyAlert).where(SafetyAlert.resolved_at.is_(None)).order_by(
            case((SafetyAlert.kind == AlertKind.CRISIS.value, 0), else_=1),
            SafetyAlert.escalated_at.is_(None), SafetyAlert.created_at.desc())
    ).all()
