"""A member's standing: suspensions and bans (moderators and admins), roles and
two-step sign-in resets (admins). Each change is in the moderation log and the
member is told why."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, or_, select

from ..dates import human_date
from ..extensions import db
from ..models import Role, User, utcnow
from . import events, two_factor
from .events import ModerationError

# A role as pages show it; `users.role` and the log keep the English value.
ROLE_NAMES = {"member": _l("member"), "expert": _l("expert"), "moderator": _l("moderator"),
              "admin": _l("admin")}


def role_name(user: User) -> str:
    """The member's role (an expert if verified) in the reader's language."""
    role = str(user.account_role)
    return str(ROLE_NAMES.get(role, role))


def directory(search: str, page: int, per_page: int):
    """Live accounts by username, narrowed to usernames or addresses containing
    `search` (the admin's list of members)."""
    query = select(User).where(User.deleted_at.is_(None)).order_by(func.lower(User.username))
    if search:
        # "%" and "_" are letters here, not wildcards (an address may hold "_").
        words = search.lower()
        query = query.where(or_(func.lower(User.username).contains(words, autoescape=True),
                                func.lower(User.email).contains(words, autoescape=True)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def suspend(user: User, moderator: User, until: datetime, reason: str) -> None:
    user.suspended_until = until
    user.suspension_reason = reason.strip()
    # Stored in English; forum/web/log_words.py shows it in the reader's words.
    logged = f"until {until:%Y-%m-%d}: {reason}"  # i18n: not shown (stored)
    events.record(moderator, "suspend", reason=logged, subject=user)
    # The day is written when the mail is, in the recipient's language and time zone.
    events.tell(user, _l("A moderator suspended your account until %(date)s.",
                         date=LazyString(human_date, until)), reason)
    events.commit()


def lift_suspension(user: User, moderator: User, reason: str = "") -> bool:
    if user.suspended_until is None and user.banned_at is None:
        return False
    user.suspended_until = None
    user.banned_at = None
    user.suspension_reason = ""
    events.record(moderator, "reinstate", reason=reason, subject=user)
    events.tell(user, _l("A moderator lifted the suspension on your account."), reason)
    events.commit()
    return True


def ban(user: User, admin: User, reason: str) -> None:
    user.banned_at = utcnow()
    user.suspension_reason = reason.strip()
    events.record(admin, "ban", reason=reason, subject=user)
    events.tell(user, _l("A moderator banned your account from writing."), reason)
    events.commit()


def set_role(user: User, admin: User, role: str) -> bool:
    """Grant or revoke moderator and admin roles; verification stays as it is (an
    expert made a moderator is a verified one still, and a member again later)."""
    if role not in set(Role):
        raise ModerationError(_("Choose member, moderator or admin."))
    if user.role == role:
        return False
    old = user.account_role
    user.role = str(role)
    events.record(admin, "role", reason=f"{old} → {user.account_role}", subject=user)
    events.commit()
    return True


def reset_two_factor(user: User, admin: User, reason: str) -> bool:
    """Turn off a member's two-step sign-in, after the admin checked who is asking."""
    if not user.has_two_factor:
        return False
    two_factor.reset_by_admin(user, reason)
    events.record(admin, "two-factor reset", reason=reason, subject=user)
    events.commit()
    return True
