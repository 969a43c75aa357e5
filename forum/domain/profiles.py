"""A member's own account: profile, reading preferences, password, address, the
download of everything they wrote, and leaving."""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import partial

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import i18n, text
from ..extensions import db
from ..models import (
    ExpertVerification,
    OutboxMessage,
    Post,
    PostRevision,
    ProfileVisibility,
    Role,
    TextSize,
    Thread,
    ThreadRead,
    User,
    UserSession,
    utcnow,
)
from . import mail, sessions, two_factor, visibility
from .accounts import (
    EMAIL_CHANGE_MAX_AGE,
    FieldError,
    check_address,
    check_email,
    check_password,
    checked,
    find_by_email,
    make_token,
    raise_one,
    token_user,
)

# Words of the badges the forum itself puts beside a name: in a display name they
# would claim a role or a check nobody made ("Ruth · Moderator · Verified expert").
# ("Staff" stays allowed: "Staff nurse" is a job title.)
# The Spanish pages show the badges in Spanish, so their words are refused too.
_BADGE_WORDS = frozenset({"mod", "mods", "moderator", "moderators", "moderation", "admin",
                          "admins", "administrator", "verified",
                          "moderador", "moderadora", "moderación", "moderacion",
                          "administrador", "administradora", "verificado", "verificada"})
_BADGE_PREFIXES = ("moderator", "administrator", "verified", "moderador", "administrador",
                   "verificad")


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
            word.startswith(_BADGE_PREFIXES) for word in words):
        raise FieldError("display_name",  # i18n: not shown (the field)
                         _("Display names cannot include words like "
                           "“Moderator”, “Admin” or “Verified”: "
                           "the forum shows those badges itself."))
    if _name_taken(user, key):
        raise FieldError("display_name",  # i18n: not shown (the field)
                         _("That name is too close to another member's name. "
                           "Please choose another."))
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


def update_profile(user: User, display_name: str, bio: str, conflicts: str | None = None,
                   visibility: str | None = None) -> None:
    """The freely editable profile: display name, bio, who may see the profile
    (`ProfileVisibility`; None keeps it) and (experts) the standing conflicts statement.
    Credentials and affiliation change only through a verification request. An
    unchanged display name is not judged again, so an older name never blocks a save."""
    display_name = text.strip_format(display_name or "").strip()
    if display_name != user.display_name:
        checked(display_name=(partial(check_display_name, user), display_name))
    user.display_name, user.bio = display_name, (bio or "").strip()
    if conflicts is not None:
        user.conflicts = conflicts.strip()
    if visibility in set(ProfileVisibility):
        user.profile_visibility = visibility
    db.session.commit()


def indexable(user: User) -> bool:
    """Whether search engines may list the member's profile: only when they chose so."""
    return user.profile_visibility == ProfileVisibility.PUBLIC.value


def update_preferences(user: User, text_size: str, high_contrast: bool,
                       energy_saver: bool = False) -> None:
    user.text_size = text_size if text_size in set(TextSize) else TextSize.NORMAL.value
    user.high_contrast = bool(high_contrast)
    user.energy_saver = bool(energy_saver)
    db.session.commit()


def update_language(user: User, locale: str | None, timezone: str | None) -> None:
    """The member's interface language and time zone; a value that is not one of the
    forum's languages or a known time zone is refused (the form says so first)."""
    if locale is not None:
        if not i18n.is_language(locale):
            raise ValueError(f"not a language of this forum: {locale!r}")
        user.locale = locale
    if timezone is not None:
        if not i18n.is_timezone(timezone):
            raise ValueError(f"not a time zone: {timezone!r}")
        user.timezone = timezone
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash or "", current):
        raise_one("current_password", _("That is not your current password."))
    checked(new_password=(
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
        raise_one("current_password", _("That is not your current password."))
    (new_email,) = checked(new_email=(partial(check_address, field="new_email"), new_email))
    owner = find_by_email(new_email)
    if owner is not None and owner.id == user.id:
        raise_one("new_email", _("That is already your address."))
    if user.has_two_factor and two_factor.verify(user, code or "") is None:
        raise_one("code", _("That code does not match. Type the newest code from your "
                            "app, or one of your recovery codes."))
    if owner is not None:
        mail.queue(owner, "email_taken")
    else:
        mail.queue(user, "email_change", recipient=new_email, new_email=new_email,
                   token=make_token("email", user.id, user.email, new_email))
    db.session.commit()
    mail.send_queued()


def confirm_email_change(token: str) -> User | None:
    user, payload = token_user("email", token, EMAIL_CHANGE_MAX_AGE, (3,))
    if user is None or user.email != payload[1]:
        return None
    try:
        new_email = check_email(payload[2])
    except FieldError:
        return None
    old_email = user.email
    user.email = new_email
    user.confirmed_at = utcnow()
    # The old address hears of it: if the change was not the owner's, it is their warning.
    mail.queue(user, "security", recipient=old_email,
               what=_l("the email address was changed to %(email)s", email=new_email))
    db.session.commit()
    mail.send_queued()
    return user


# -- leaving -----------------------------------------------------------------------

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
            "role": user.account_role, "bio": user.bio, "credentials": user.credentials,
            "affiliation": user.affiliation, "conflicts_of_interest": user.conflicts,
            "joined": when(user.created_at), "email_confirmed": when(user.confirmed_at),
            "preferences": {"text_size": user.text_size, "high_contrast": user.high_contrast,
                            "energy_saver": user.energy_saver,
                            "locale": user.locale, "timezone": user.timezone},
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
    sessions, two-step sign-in secrets, unsent mail and which threads they read (on
    an MS forum, what someone reads says something about their health). Posts are
    either deleted (their text removed) or kept under "a former member"; threads
    stay where they are.
    """
    if not check_password_hash(user.password_hash or "", password):
        raise_one("password", _("That is not your password."))
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
            visibility.delete(post, user)
            post.body_source = post.body_html = ""
            if post.is_opening:
                # Their article's own words go too; the title stays so replies keep context.
                post.thread.summary = post.thread.disclosure = ""
    for model in (ExpertVerification, UserSession, OutboxMessage, ThreadRead):
        db.session.execute(delete(model).where(model.user_id == user.id))
    two_factor.turn_off(user)
    user.username = f"former-{user.id}-{secrets.token_hex(4)}"
    user.email = None
    user.password_hash = None
    user.display_name = user.bio = user.credentials = user.affiliation = user.conflicts = ""
    user.role = Role.MEMBER
    user.deleted_at = now
    db.session.commit()
