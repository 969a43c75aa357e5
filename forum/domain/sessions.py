"""Signed-in browsers, kept on the server (`user_sessions`). The session and
remember-me cookies carry only a row's random key, so deleting the row signs that
browser out whatever cookie it still holds."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import User, UserSession, utcnow


def load_user(session_key: str) -> User | None:
    """Flask-Login's user_loader: the user behind a live session key, or None."""
    oldest = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    row = db.session.scalar(
        select(UserSession).where(UserSession.key == str(session_key)).join(UserSession.user)
        .where(User.deleted_at.is_(None), UserSession.created_at > oldest)
        .options(contains_eager(UserSession.user).joinedload(User.verification))
    )
    if row is None:
        return None
    row.user.session_key = row.key
    return row.user


def start_session(user: User, user_agent: str = "") -> User:
    """Record a signed-in browser; Flask-Login then stores only its key."""
    session = UserSession(key=secrets.token_urlsafe(32), user=user, user_agent=user_agent[:200])
    db.session.add(session)
    db.session.commit()
    user.session_key = session.key
    return user


def end_session(user: User) -> None:
    if user.session_key:
        db.session.execute(delete(UserSession).where(UserSession.key == user.session_key))
        db.session.commit()


def end_other_sessions(user: User) -> None:
    """Sign out every other browser of this user (the caller commits)."""
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.key != (user.session_key or "")
        )
    )


def end_all_sessions(user: User) -> None:
    """Sign out every browser of this user (the caller commits)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def two_factor_setup(user: User) -> tuple[str | None, datetime | None]:
    """The sealed two-step secret this browser is setting up, and when it was shown."""
    row = db.session.execute(
        select(UserSession.two_factor_setup, UserSession.two_factor_setup_at)
        .where(UserSession.key == (user.session_key or ""))
    ).first()
    return (row[0], row[1]) if row else (None, None)


def keep_two_factor_setup(user: User, sealed: str | None) -> None:
    """Keep (or with None, forget) this browser's set-up secret; the caller commits."""
    db.session.execute(
        update(UserSession).where(UserSession.key == (user.session_key or ""))
        .values(two_factor_setup=sealed, two_factor_setup_at=utcnow() if sealed else None)
    )
