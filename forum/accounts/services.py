"""Accounts: creating users, finding them, signing them in."""

from __future__ import annotations

import re
from functools import partial

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ExpertVerification, Role, User, VerificationStatus, utcnow

USERNAME_RE = re.compile(r"^[A-Za-z0-9_-]{3,30}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200


class AccountError(ValueError):
    """Input that cannot make an account: {field: message}, each safe to show the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class _FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or user.deleted_at is not None:
        return None
    return user


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


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise _FieldError(
            "username",
            "Usernames are 3 to 30 characters: letters A–Z, digits, '_' and '-'.",
        )
    if find_by_username(username) is not None:
        raise _FieldError("username", "That username is taken. Please choose another.")
    return username


def check_email(email: str) -> str:
    try:
        normalised = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise _FieldError("email", f"That email address is not valid: {error}") from None
    taken = db.session.scalar(select(User.id).where(func.lower(User.email) == normalised.lower()))
    if taken is not None:
        raise _FieldError("email", "That email address is already registered.")
    return normalised


def check_password(password: str, username: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _FieldError(
            "password", f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _FieldError(
            "password", f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters."
        )
    if username and username.lower() in password.lower():
        raise _FieldError("password", "Your password must not contain your username.")
    return password


def create_user(
    username: str,
    email: str,
    password: str,
    role: str = Role.MEMBER,
    *,
    established: bool = False,
    confirmed: bool = False,
    display_name: str = "",
    **profile: str,
) -> User:
    """Validate and store a new account in one transaction; raises AccountError."""
    if role not in set(Role):
        raise AccountError({"role": f"Unknown role {role!r}: use one of {', '.join(Role)}."})
    username, email, password = _checked(
        username=(check_username, username),
        email=(check_email, email),
        password=(partial(check_password, username=username), password),
    )
    user = User(
        username=username,
        email=email,
        password_hash=generate_password_hash(password),
        role=str(role),
        display_name=display_name,
        confirmed_at=utcnow() if confirmed else None,
        established_at=utcnow() if established else None,
        **profile,
    )
    db.session.add(user)
    if role == Role.EXPERT:
        _approve_on_creation(user)
    db.session.commit()
    return user


def _checked(**checks) -> list[str]:
    """Run every field's check, so that the user hears about all problems at once."""
    values, errors = [], {}
    for field, (check, value) in checks.items():
        try:
            values.append(check(value))
        except _FieldError as error:
            errors[field] = error.message
    if errors:
        raise AccountError(errors)
    return values


def _approve_on_creation(user: User) -> None:
    # An expert made by an operator is verified by that act; record it like any other.
    verification = ExpertVerification(
        user=user,
        status=VerificationStatus.APPROVED,
        credentials=user.credentials or "",
        affiliation=user.affiliation or "",
        register_name="",
        register_number="",
        decided_at=utcnow(),
        decision_reason="Created as an expert by an operator.",
    )
    db.session.add(verification)


def authenticate(identifier: str, password: str) -> User | None:
    """The user for these credentials, or None; as slow for an unknown name as a known one."""
    user = find_by_login(identifier)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not a real password, only spends the same time")
