"""Who someone is: signed in, active, staff, suspended. The building blocks of the rules."""

from __future__ import annotations

from .. import community
from ..dates import human_date
from ..models import Post, Role
from ..standing import standing_of
from .decisions import ALLOW, LOGIN, Decision, deny


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _is_active(user) -> bool:
    return _signed_in(user) and user.deleted_at is None


def is_moderator(user) -> bool:
    return _is_active(user) and user.role in (Role.MODERATOR, Role.ADMIN)


def is_admin(user) -> bool:
    return _is_active(user) and user.role == Role.ADMIN


def _owns(user, post: Post) -> bool:
    return _is_active(user) and post.author_id is not None and post.author_id == user.id


def is_suspended(user) -> bool:
    """Banned, or suspended until a time still to come (forum.standing decides)."""
    return _signed_in(user) and not standing_of(user).is_active


def suspension_notice(user) -> str:
    if user.banned_at is not None:
        reason = f": {user.suspension_reason}" if user.suspension_reason else "."
        return f"Your account is banned from writing{reason}"
    reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
    return (f"Your account is suspended until {human_date(user.suspended_until)}: "
            f"you can read but not write.{reason}")


def _member(user, action: str) -> Decision:
    if not _signed_in(user):
        return deny(LOGIN, f"Please sign in to {action}.")
    if user.deleted_at is not None:
        return deny(403, "This account has been closed.")
    return ALLOW


def _writer(user, action: str) -> Decision:
    decision = _member(user, action)
    if not decision:
        return decision
    if is_suspended(user):
        return deny(403, suspension_notice(user))
    if user.confirmed_at is None and community.get("REQUIRE_CONFIRMED_EMAIL_TO_POST"):
        return deny(403, f"Please confirm your email address to {action}.")
    return decision
