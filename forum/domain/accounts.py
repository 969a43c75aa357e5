"""Accounts: the checks a new name, address and password pass, creating an account,
confirming its address, and the signed tokens the forum mails.

Every function that changes state commits once; mail is queued in the same
transaction and sent after the commit (forum.domain.mail).
"""

from __future__ import annotations

import re
from functools import cache, partial
from pathlib import Path
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import AccountRole, ExpertVerification, Role, User, VerificationStatus, utcnow
from . import mail

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]{3,30}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"

CONFIRM_MAX_AGE = 7 * 24 * 3600
EMAIL_CHANGE_MAX_AGE = 2 * 24 * 3600
RESET_MAX_AGE = 3600
SIGN_IN_LINK_MAX_AGE = 15 * 60


class AccountError(ValueError):
    """Input that cannot be accepted: {field: message}, each safe to show the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# -- finding users ---------------------------------------------------------------

def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def find_by_username(username: str) -> User | None:
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.lower(), User.deleted_at.is_(None))
    )


def find_by_login(identifier: str) -> User | None:
    identifier = identifier.strip()
    column = User.email if "@" in identifier else User.username
    return db.session.scalar(
        select(User).where(func.lower(column) == identifier.lower(), User.deleted_at.is_(None))
    )


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


# -- checks ----------------------------------------------------------------------

@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise FieldError(
            "username",  # i18n: not shown (the field)
            _("Usernames are 3 to 30 characters: letters A–Z, digits, '_' and '-'."),
        )
    if find_by_username(username) is not None:
        raise FieldError("username",  # i18n: not shown (the field)
                         _("That username is taken. Please choose another."))
    return username


def check_address(email: str, field: str = "email") -> str:
    """A well-formed address, normalised; says nothing about who uses it."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise FieldError(field, _("That email address is not valid: %(error)s",
                                  error=error)) from None


def check_email(email: str, field: str = "email") -> str:
    """A well-formed address no account uses. Only for the owner's own settings and the
    operator's command: the public registration form never says an address is taken."""
    normalised = check_address(email, field)
    if find_by_email(normalised) is not None:
        raise FieldError(field, _("That email address is already registered."))
    return normalised


def check_password(password: str, username: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(field, _("Passwords need at least %(num)d characters.",
                                  num=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise FieldError(field, _("Passwords can be at most %(num)d characters.",
                                  num=MAX_PASSWORD_LENGTH))
    if username and username.lower() in password.lower():
        raise FieldError(field, _("Your password must not contain your username."))
    if password.lower() in _common_passwords():
        raise FieldError(
            field, _("That password is one of the most common ones. Please choose another.")
        )
    return password


def checked(**checks) -> list[str]:
    """Run every field's check, so that the user hears about all problems at once."""
    values, errors = [], {}
    for check, value in checks.values():
        try:
            values.append(check(value))
        except FieldError as error:
            errors[error.field] = error.message
    if errors:
        raise AccountError(errors)
    return values


def raise_one(field: str, message: str):
    raise AccountError({field: message})


# -- creating accounts -------------------------------------------------------------

def create_user(
    username: str,
    email: str,
    password: str,
    role: str = AccountRole.MEMBER,
    *,
    established: bool = False,
    confirmed: bool = False,
    display_name: str = "",
    next_path: str | None = None,
    **profile: str,
) -> User:
    """Validate and store a new account in one transaction; raises AccountError.
    An unconfirmed account is mailed its confirmation link (which leads to `next_path`).
    `role` is an AccountRole: an expert is made a member with an approved verification."""
    if role not in set(AccountRole):
        known = ", ".join(AccountRole)
        raise_one("role", f"Unknown role {role!r}: use one of {known}.")  # i18n: not shown
    username, email, password = checked(
        username=(check_username, username),
        email=(check_email, email),
        password=(partial(check_password, username=username), password),
    )
    user = User(
        username=username,
        email=email,
        password_hash=generate_password_hash(password),
        role=Role.MEMBER.value if role == AccountRole.EXPERT else str(role),
        display_name=display_name.strip(),
        confirmed_at=utcnow() if confirmed else None,
        established_at=utcnow() if established else None,
        **profile,
    )
    db.session.add(user)
    if role == AccountRole.EXPERT:
        db.session.add(ExpertVerification(
            user=user,
            status=VerificationStatus.APPROVED,
            credentials=user.credentials or "",
            affiliation=user.affiliation or "",
            register_name="",
            register_number="",
            decided_at=utcnow(),
            decision_reason="Created as an expert by an operator.",  # i18n: not shown (stored)
        ))
    db.session.flush()
    if not confirmed:
        _queue_confirmation(user, next_path)
    db.session.commit()
    mail.send_queued()
    return user


def register(username: str, email: str, password: str, next_path: str | None = None,
             language: str | None = None) -> None:
    """Registration from the public form; raises AccountError for what the form shows.
    A new account keeps `language` (the page's) as its setting, so that what it is
    mailed later (a moderator's action) is in the language it joined in.

    A taken username is said (usernames are public). A taken address is not, since on
    this forum having an account is health information: its owner is mailed instead
    (with a new confirmation link if they never confirmed), and the caller gives the
    same answer as for a new account, after the same work (a password hash)."""
    username, email, password = checked(
        username=(check_username, username),
        email=(check_address, email),
        password=(partial(check_password, username=username), password),
    )
    owner = find_by_email(email)
    if owner is None:
        create_user(username, email, password, next_path=next_path, locale=language)
        return
    generate_password_hash(password)
    token = make_token("confirm", owner.id, owner.email, next_path or "")
    mail.queue(owner, "register_taken", token=None if owner.confirmed_at else token,
               next_path=next_path)
    db.session.commit()
    mail.send_queued()


def _queue_confirmation(user: User, next_path: str | None) -> None:
    mail.queue(user, "confirm", token=make_token("confirm", user.id, user.email, next_path or ""))


class LinkUse(NamedTuple):
    """A mailed link that was followed: whose, where it leads, and whether this use
    signs them in (a confirmation link does so once: when it confirms)."""

    user: User
    next_path: str
    signs_in: bool


def confirm_email(token: str) -> LinkUse | None:
    # Links mailed before `next` was added have two parts.
    user, payload = token_user("confirm", token, CONFIRM_MAX_AGE, (2, 3))
    if user is None or user.email != payload[1]:
        return None
    # One UPDATE decides, so the same link sent twice at once signs in once.
    confirmed = db.session.execute(
        update(User).where(User.id == user.id, User.confirmed_at.is_(None))
        .values(confirmed_at=utcnow())
    ).rowcount == 1
    db.session.commit()
    return LinkUse(user, text_of(payload[2] if len(payload) == 3 else ""), confirmed)


def resend_confirmation(user: User, next_path: str | None = None) -> None:
    if user.confirmed_at is None:
        _queue_confirmation(user, next_path)
        db.session.commit()
        mail.send_queued()


# -- tokens ------------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"forum.{purpose}")


def make_token(purpose: str, *payload) -> str:
    return _serializer(purpose).dumps(list(payload))


def token_user(purpose: str, token: str, max_age: int,
               sizes: tuple[int, ...]) -> tuple[User | None, list]:
    """The live account a mailed token names, with the token's payload (of one of
    `sizes` parts, the account id first); (None, []) for anything else."""
    payload = read_token(purpose, token, max_age)
    if not payload or len(payload) not in sizes:
        return None, []
    user = db.session.get(User, payload[0])
    return (user, payload) if user is not None and user.deleted_at is None else (None, [])


def read_token(purpose: str, token: str, max_age: int) -> list | None:
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return payload if isinstance(payload, list) else None


def text_of(value) -> str:
    return value if isinstance(value, str) else ""
