"""Accounts: creating users, signing in and out, settings, tokens, leaving.

Every function that changes state commits once; mail is queued in the same
transaction and sent after the commit (forum.mail).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import limits, mail, text
from ..extensions import db
from ..models import (
    ExpertVerification,
    OutboxMessage,
    Post,
    PostRevision,
    Role,
    TextSize,
    Thread,
    User,
    UserSession,
    VerificationStatus,
    utcnow,
)
from ..posts.services import soft_delete
from . import sessions, two_factor

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


class _FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# -- finding users ---------------------------------------------------------

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


# -- checks ------------------------------------------------------------------

@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise _FieldError(
            "username",
            "Usernames are 3 to 30 characters: letters A–Z, digits, '_' and '-'.",
        )
    if find_by_username(username) is not None:
        raise _FieldError("username", "That username is taken. Please choose another.")
    return username


def check_address(email: str, field: str = "email") -> str:
    """A well-formed address, normalised; says nothing about who uses it."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise _FieldError(field, f"That email address is not valid: {error}") from None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def check_email(email: str, field: str = "email") -> str:
    """A well-formed address no account uses. Only for the owner's own settings and the
    operator's command: the public registration form never says an address is taken."""
    normalised = check_address(email, field)
    if find_by_email(normalised) is not None:
        raise _FieldError(field, "That email address is already registered.")
    return normalised


def check_password(password: str, username: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _FieldError(field, f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _FieldError(field, f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters.")
    if username and username.lower() in password.lower():
        raise _FieldError(field, "Your password must not contain your username.")
    if password.lower() in _common_passwords():
        raise _FieldError(
            field, "That password is one of the most common ones. Please choose another."
        )
    return password


def _checked(**checks) -> list[str]:
    """Run every field's check, so that the user hears about all problems at once."""
    values, errors = [], {}
    for check, value in checks.values():
        try:
            values.append(check(value))
        except _FieldError as error:
            errors[error.field] = error.message
    if errors:
        raise AccountError(errors)
    return values


def _raise_one(field: str, message: str):
    raise AccountError({field: message})


# -- creating accounts -------------------------------------------------------

def create_user(
    username: str,
    email: str,
    password: str,
    role: str = Role.MEMBER,
    *,
    established: bool = False,
    confirmed: bool = False,
    display_name: str = "",
    next_path: str | None = None,
    **profile: str,
) -> User:
    """Validate and store a new account in one transaction; raises AccountError.
    An unconfirmed account is mailed its confirmation link (which leads to `next_path`)."""
    if role not in set(Role):
        _raise_one("role", f"Unknown role {role!r}: use one of {', '.join(Role)}.")
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
        display_name=display_name.strip(),
        confirmed_at=utcnow() if confirmed else None,
        established_at=utcnow() if established else None,
        **profile,
    )
    db.session.add(user)
    if role == Role.EXPERT:
        db.session.add(ExpertVerification(
            user=user,
            status=VerificationStatus.APPROVED,
            credentials=user.credentials or "",
            affiliation=user.affiliation or "",
            register_name="",
            register_number="",
            decided_at=utcnow(),
            decision_reason="Created as an expert by an operator.",
        ))
    db.session.flush()
    if not confirmed:
        _queue_confirmation(user, next_path)
    db.session.commit()
    mail.send_queued()
    return user


def register(username: str, email: str, password: str, next_path: str | None = None) -> None:
    """Registration from the public form; raises AccountError for what the form shows.

    A taken username is said (usernames are public). A taken address is not, since on
    this forum having an account is health information: its owner is mailed instead
    (with a new confirmation link if they never confirmed), and the caller gives the
    same answer as for a new account, after the same work (a password hash)."""
    username, email, password = _checked(
        username=(check_username, username),
        email=(check_address, email),
        password=(partial(check_password, username=username), password),
    )
    owner = find_by_email(email)
    if owner is None:
        create_user(username, email, password, next_path=next_path)
        return
    generate_password_hash(password)
    token = make_token("confirm", owner.id, owner.email, next_path or "")
    mail.queue(owner, "register_taken", token=None if owner.confirmed_at else token,
               next_path=next_path)
    db.session.commit()
    mail.send_queued()


def _queue_confirmation(user: User, next_path: str | None) -> None:
    mail.queue(user, "confirm", token=make_token("confirm", user.id, user.email, next_path or ""))


# -- signing in ---------------------------------------------------------------

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


# -- tokens ------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"forum.{purpose}")


def make_token(purpose: str, *payload) -> str:
    return _serializer(purpose).dumps(list(payload))


def _read_token(purpose: str, token: str, max_age: int) -> list | None:
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return payload if isinstance(payload, list) else None


def _password_fingerprint(user: User) -> str:
    # A reset link stops working once the password it was made for has changed.
    return (user.password_hash or "")[-12:]


class LinkUse(NamedTuple):
    """A mailed link that was followed: whose, where it leads, and whether this use
    signs them in (a confirmation link does so once: when it confirms)."""

    user: User
    next_path: str
    signs_in: bool


def confirm_email(token: str) -> LinkUse | None:
    payload = _read_token("confirm", token, CONFIRM_MAX_AGE)
    if not payload or len(payload) not in (2, 3):  # links mailed before `next` have two
        return None
    user = db.session.get(User, payload[0])
    if user is None or user.deleted_at or user.email != payload[1]:
        return None
    # One UPDATE decides, so the same link sent twice at once signs in once.
    confirmed = db.session.execute(
        update(User).where(User.id == user.id, User.confirmed_at.is_(None))
        .values(confirmed_at=utcnow())
    ).rowcount == 1
    db.session.commit()
    return LinkUse(user, _text(payload[2] if len(payload) == 3 else ""), confirmed)


def resend_confirmation(user: User, next_path: str | None = None) -> None:
    if user.confirmed_at is None:
        _queue_confirmation(user, next_path)
        db.session.commit()
        mail.send_queued()


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
    payload = _read_token("sign-in", token, SIGN_IN_LINK_MAX_AGE)
    if not payload or len(payload) != 3 or not isinstance(payload[1], int | float):
        return None
    user = db.session.get(User, payload[0])
    if user is None or user.deleted_at or not user.password_hash:
        return None
    made = datetime.fromtimestamp(payload[1], UTC)
    now = utcnow()
    spent = db.session.execute(
        update(User).where(User.id == user.id, or_(User.sign_in_link_used_at.is_(None),
                                                   User.sign_in_link_used_at < made))
        .values(sign_in_link_used_at=now, confirmed_at=func.coalesce(User.confirmed_at, now))
    ).rowcount == 1
    db.session.commit()
    return LinkUse(user, _text(payload[2]), True) if spent else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def request_password_reset(email: str) -> None:
    """Mail a reset link if an account uses this address; say nothing either way."""
    user = find_by_login(email) if "@" in email else None
    if user is None or not user.email:
        return
    mail.queue(user, "reset", token=make_token("reset", user.id, _password_fingerprint(user)))
    db.session.commit()
    mail.send_queued()


def user_for_reset(token: str) -> User | None:
    payload = _read_token("reset", token, RESET_MAX_AGE)
    if not payload or len(payload) != 2:
        return None
    user = db.session.get(User, payload[0])
    if user is None or user.deleted_at or _password_fingerprint(user) != payload[1]:
        return None
    return user


def reset_password(user: User, password: str) -> None:
    _checked(password=(partial(check_password, username=user.username), password))
    user.password_hash = generate_password_hash(password)
    # Whoever had the old password is signed out everywhere.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link proved they read this mailbox
    db.session.commit()


# -- settings ----------------------------------------------------------------

# Words of the badges the forum itself puts beside a name: in a display name they
# would claim a role or a check nobody made ("Ruth · Moderator · Verified expert").
# ("Staff" stays allowed: "Staff nurse" is a job title.)
_BADGE_WORDS = frozenset({"mod", "mods", "moderator", "moderators", "moderation", "admin",
                          "admins", "administrator", "verified"})
_SEPARATORS = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """What a name looks like to a reader: NFKC, case folded, with format characters,
    spaces and punctuation ignored ("Mod Ruth", "MOD_RUTH" and "ｍｏｄ-ｒｕｔｈ" are alike)."""
    folded = unicodedata.normalize("NFKC", text.strip_format(name)).casefold()
    return _SEPARATORS.sub("", folded)


def check_display_name(user: User, display_name: str) -> str:
    key = name_key(display_name)
    if key in ("", name_key(user.username)):
        return display_name  # one's own username, as shown beside it anyway
    words = _SEPARATORS.split(unicodedata.normalize("NFKC", display_name).casefold())
    if _BADGE_WORDS.intersection(words) or any(
            word.startswith(("moderator", "administrator", "verified")) for word in words):
        raise _FieldError("display_name", "Display names cannot include words like "
                          "“Moderator”, “Admin” or “Verified”: "
                          "the forum shows those badges itself.")
    if _name_taken(user, key):
        raise _FieldError("display_name", "That name is too close to another member's name. "
                          "Please choose another.")
    return display_name


def _name_taken(user: User, key: str) -> bool:
    # Usernames are ASCII letters, digits, '_' and '-', so their key is SQL-computable.
    username_key = func.replace(func.replace(func.lower(User.username), "_", ""), "-", "")
    others = (User.id != user.id, User.deleted_at.is_(None))
    if db.session.scalar(select(User.id).where(username_key == key, *others).limit(1)):
        return True
    # Display names need Unicode folding, done here; a rename is rare enough to read them.
    names = db.session.scalars(select(User.display_name).where(User.display_name != "", *others))
    return any(name_key(name) == key for name in names)


def update_profile(user: User, display_name: str, bio: str, conflicts: str | None = None) -> None:
    """The freely editable profile: display name, bio and (experts) the standing conflicts
    statement. Credentials and affiliation change only through a verification request.
    An unchanged display name is not judged again, so an older name never blocks a save."""
    display_name = text.strip_format(display_name or "").strip()
    if display_name != user.display_name:
        _checked(display_name=(partial(check_display_name, user), display_name))
    user.display_name, user.bio = display_name, (bio or "").strip()
    if conflicts is not None:
        user.conflicts = conflicts.strip()
    db.session.commit()


def update_preferences(user: User, text_size: str, high_contrast: bool,
                       energy_saver: bool = False) -> None:
    user.text_size = text_size if text_size in set(TextSize) else TextSize.NORMAL.value
    user.high_contrast = bool(high_contrast)
    user.energy_saver = bool(energy_saver)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash or "", current):
        _raise_one("current_password", "That is not your current password.")
    _checked(new_password=(
        partial(check_password, username=user.username, field="new_password"), new
    ))
    user.password_hash = generate_password_hash(new)
    sessions.end_other_sessions(user)
    db.session.commit()


def request_email_change(user: User, current_password: str, new_email: str,
                         code: str = "") -> None:
    """Mail a confirmation link to the new address; the email changes when it is followed.
    With two-step sign-in on, a code is needed too (checked last: it is used up).
    An address another account uses is not said to be taken (as at registration):
    its owner is told someone asked for it instead of being sent a link."""
    if not check_password_hash(user.password_hash or "", current_password):
        _raise_one("current_password", "That is not your current password.")
    (new_email,) = _checked(new_email=(partial(check_address, field="new_email"), new_email))
    owner = find_by_email(new_email)
    if owner is not None and owner.id == user.id:
        _raise_one("new_email", "That is already your address.")
    if user.has_two_factor and two_factor.verify(user, code or "") is None:
        _raise_one("code", "That code does not match. Type the newest code from your app, "
                           "or one of your recovery codes.")
    if owner is not None:
        mail.queue(owner, "email_taken")
    else:
        mail.queue(user, "email_change", recipient=new_email, new_email=new_email,
                   token=make_token("email", user.id, user.email, new_email))
    db.session.commit()
    mail.send_queued()


def confirm_email_change(token: str) -> User | None:
    payload = _read_token("email", token, EMAIL_CHANGE_MAX_AGE)
    if not payload or len(payload) != 3:
        return None
    user = db.session.get(User, payload[0])
    if user is None or user.deleted_at or user.email != payload[1]:
        return None
    try:
        new_email = check_email(payload[2])
    except _FieldError:
        return None
    old_email = user.email
    user.email = new_email
    user.confirmed_at = utcnow()
    # The old address hears of it: if the change was not the owner's, it is their warning.
    mail.queue(user, "security", recipient=old_email,
               what=f"the email address was changed to {new_email}")
    db.session.commit()
    mail.send_queued()
    return user


# -- expert verification -----------------------------------------------------

def pending_verification(user: User) -> ExpertVerification | None:
    return db.session.scalar(
        select(ExpertVerification).where(
            ExpertVerification.user_id == user.id,
            ExpertVerification.status == VerificationStatus.PENDING,
        )
    )


def verification_details(user: User) -> ExpertVerification | None:
    """What the request form starts from: the pending request, else the approved one."""
    return pending_verification(user) or user.verification


def request_verification(user: User, **details: str) -> ExpertVerification:
    """A first request, a correction of a pending one, or (for a verified expert) new
    credentials or affiliation: a new pending request, while the approved one keeps the
    badge and the checked details on show until an admin decides."""
    request = pending_verification(user) or ExpertVerification(user=user)
    for name, value in details.items():
        setattr(request, name, (value or "").strip())
    request.requested_at = utcnow()
    db.session.add(request)
    db.session.commit()
    return request


def verification_queue() -> list[ExpertVerification]:
    return db.session.scalars(
        select(ExpertVerification)
        .where(ExpertVerification.status == VerificationStatus.PENDING)
        .order_by(ExpertVerification.requested_at)
    ).all()


def decide_verification(
    request: ExpertVerification, admin: User, approve: bool, reason: str,
    checked_register: bool, checked_number: bool, checked_link: bool,
) -> None:
    request.decided_at = utcnow()
    request.decided_by = admin
    request.decision_reason = reason.strip()
    request.checked_register = checked_register
    request.checked_number = checked_number
    request.checked_link = checked_link
    user = request.user
    if approve:
        # At most one approved verification: a new approval replaces the old one.
        for old in db.session.scalars(select(ExpertVerification).where(
            ExpertVerification.user_id == user.id,
            ExpertVerification.status == VerificationStatus.APPROVED,
        )):
            old.status = VerificationStatus.REVOKED
        request.status = VerificationStatus.APPROVED
        user.credentials, user.affiliation = request.credentials, request.affiliation
        if user.role == Role.MEMBER:
            user.role = Role.EXPERT
    else:
        request.status = VerificationStatus.DECLINED
    mail.queue(user, "verification", request=request)
    db.session.commit()
    mail.send_queued()


def revoke_verification(user: User, admin: User, reason: str) -> bool:
    current = user.verification
    if current is None:
        return False
    current.status = VerificationStatus.REVOKED
    current.decided_by = admin
    current.decided_at = utcnow()
    current.decision_reason = reason.strip()
    if user.role == Role.EXPERT:
        user.role = Role.MEMBER
    db.session.commit()
    db.session.expire(user, ["verification"])
    return True


# -- leaving -----------------------------------------------------------------

def export_data(user: User) -> dict:
    """Everything the user wrote and their profile, for the JSON download."""
    posts = db.session.scalars(
        select(Post).where(Post.author_id == user.id).order_by(Post.created_at)
    ).all()
    threads = db.session.scalars(
        select(Thread).where(Thread.author_id == user.id).order_by(Thread.created_at)
    ).all()
    verifications = db.session.scalars(
        select(ExpertVerification).where(ExpertVerification.user_id == user.id)
    ).all()
    when = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "exported_at": utcnow().isoformat(),
        "profile": {
            "username": user.username, "display_name": user.display_name, "email": user.email,
            "role": user.role, "bio": user.bio, "credentials": user.credentials,
            "affiliation": user.affiliation, "conflicts_of_interest": user.conflicts,
            "joined": when(user.created_at), "email_confirmed": when(user.confirmed_at),
            "preferences": {"text_size": user.text_size, "high_contrast": user.high_contrast,
                            "energy_saver": user.energy_saver},
        },
        "threads": [
            # A deleted post's words are not shown to anyone, its author included.
            {"id": t.id, "title": t.title, "kind": t.kind,
             "summary": "" if t.deleted_at else t.summary,
             "disclosure": "" if t.deleted_at else t.disclosure, "created": when(t.created_at)}
            for t in threads
        ],
        "posts": [
            {"id": p.id, "thread_id": p.thread_id, "body": "" if p.deleted_at else p.body_source,
             "created": when(p.created_at), "edited": when(p.edited_at),
             "deleted": when(p.deleted_at)}
            for p in posts
        ],
        "expert_verifications": [
            {"status": v.status, "credentials": v.credentials, "affiliation": v.affiliation,
             "register": v.register_name, "register_number": v.register_number,
             "link": v.evidence_url, "requested": when(v.requested_at),
             "decided": when(v.decided_at), "reason": v.decision_reason}
            for v in verifications
        ],
    }


def delete_account(user: User, password: str, delete_posts: bool) -> None:
    """Remove the person, keep the conversation readable.

    Personal data goes: email, profile text, credentials, verification records,
    sessions, two-step sign-in secrets and unsent mail. Posts are either deleted
    (their text removed) or kept under "a former member"; threads stay where they are.
    """
    if not check_password_hash(user.password_hash or "", password):
        _raise_one("password", "That is not your password.")
    now = utcnow()
    # Edits they made to anyone's posts no longer name them.
    db.session.execute(
        update(PostRevision).where(PostRevision.editor_id == user.id).values(editor_id=None)
    )
    if delete_posts:
        own_posts = select(Post.id).where(Post.author_id == user.id).scalar_subquery()
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(own_posts)))
        # Replies first, so a thread of theirs left without replies goes with its opening.
        posts = db.session.scalars(
            select(Post).where(Post.author_id == user.id).order_by(Post.is_opening, Post.id)
        ).all()
        for post in posts:
            soft_delete(post, user)
            post.body_source = post.body_html = ""
            if post.is_opening:
                # Their article's own words go too; the title stays so replies keep context.
                post.thread.summary = post.thread.disclosure = ""
    for model in (ExpertVerification, UserSession, OutboxMessage):
        db.session.execute(delete(model).where(model.user_id == user.id))
    two_factor.turn_off(user)
    user.username = f"former-{user.id}-{secrets.token_hex(4)}"
    user.email = None
    user.password_hash = None
    user.display_name = user.bio = user.credentials = user.affiliation = user.conflicts = ""
    user.role = Role.MEMBER
    user.deleted_at = now
    db.session.commit()
