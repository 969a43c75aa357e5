"""Signing in: by password (with failures counted per account), by a one-time link
mailed in its place, and resetting a forgotten password."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from functools import cache, partial
from typing import NamedTuple

from sqlalchemy import delete, func, or_, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import limits
from ..extensions import db
from ..models import User, UserSession, utcnow
from . import mail
from .accounts import (
    RESET_MAX_AGE,
    SIGN_IN_LINK_MAX_AGE,
    LinkUse,
    check_password,
    checked,
    find_by_login,
    make_token,
    text_of,
    token_user,
)


class SignIn(NamedTuple):
    """A password sign-in: the account when the password matched, and why it may still
    not go on ("unconfirmed"), or why there is no account ("wrong", "limited" with the
    seconds to wait)."""

    user: User | None
    refusal: str = ""
    wait: int = 0


def sign_in(identifier: str, password: str) -> SignIn:
    """Check a password. Failures count against the account the name resolves to, by
    username or address in any case (a name no account has gets a count of its own,
    so the answers never tell which). Past RATELIMIT_LOGIN_ACCOUNT the password is not
    checked at all for a while, and the owner can ask for a one-time sign-in link."""
    user = find_by_login(identifier)
    key = f"account:{user.id}" if user is not None else "name:" + hashlib.sha256(
        identifier.strip().lower().encode()).hexdigest()[:32]
    wait = limits.wait_seconds("LOGIN_ACCOUNT", key)
    if wait:
        return SignIn(None, "limited", wait)
    if not _password_matches(user, password):
        limits.count("LOGIN_ACCOUNT", key)
        return SignIn(None, "wrong")
    if user.confirmed_at is None:
        return SignIn(user, "unconfirmed")
    return SignIn(user)


def authenticate(identifier: str, password: str) -> User | None:
    """The user for these credentials, or None (no counting, no confirmation check)."""
    user = find_by_login(identifier)
    return user if _password_matches(user, password) else None


def _password_matches(user: User | None, password: str) -> bool:
    """As slow for an unknown name as for a known one."""
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def send_sign_in_link(identifier: str, next_path: str | None = None) -> None:
    """Mail the account behind this name a link that signs in once, within fifteen
    minutes, in place of the password; say nothing either way."""
    user = find_by_login(identifier)
    if user is None or not user.email:
        return
    mail.queue(user, "sign_in_link",
               token=make_token("sign-in", user.id, time.time(), next_path or ""))
    db.session.commit()
    mail.send_queued()


def use_sign_in_link(token: str) -> LinkUse | None:
    """The account a sign-in link is for, if it is fresh and no link was used since it
    was made; using it spends it (and confirms the address it was mailed to)."""
    user, payload = token_user("sign-in", token, SIGN_IN_LINK_MAX_AGE, (3,))
    if user is None or not isinstance(payload[1], int | float) or not user.password_hash:
        return None
    made = datetime.fromtimestamp(payload[1], UTC)
    now = utcnow()
    spent = db.session.execute(
        update(User).where(User.id == user.id, or_(User.sign_in_link_used_at.is_(None),
                                                   User.sign_in_link_used_at < made))
        .values(sign_in_link_used_at=now, confirmed_at=func.coalesce(User.confirmed_at, now))
    ).rowcount == 1
    db.session.commit()
    return LinkUse(user, text_of(payload[2]), True) if spent else None


# -- a forgotten password ------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    # A reset link stops working once the password it was made for has changed.
    return (user.password_hash or "")[-12:]


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account uses this address; say nothing either way."""
    user = find_by_login(email) if "@" in email else None
    if user is None or not user.email:
        return
    mail.queue(user, "reset", token=make_token("reset", user.id, _password_fingerprint(user)))
    db.session.commit()
    mail.send_queued()


def user_for_reset(token: str) -> User | None:
    user, payload = token_user("reset", token, RESET_MAX_AGE, (2,))
    if user is None or _password_fingerprint(user) != payload[1]:
        return None
    return user


def reset_password(user: User, password: str) -> None:
    checked(password=(partial(check_password, username=user.username), password))
    user.password_hash = generate_password_hash(password)
    # Whoever had the old password is signed out everywhere.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link proved they read this mailbox
    db.session.commit()
