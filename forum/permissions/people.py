"""Who someone is: signed in, active, staff, suspended. The building blocks of the rules."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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
    # The reason is a moderator's own words, shown as they wrote them.
    reason = user.suspension_reason
    if user.banned_at is not None:
        if reason:
            return _("Your account is banned from writing: %(reason)s", reason=reason)
        return _("Your account is banned from writing.")
    until = human_date(user.suspended_until)
    if reason:
        return _("Your account is suspended until %(date)s: you can read but not write. "
                 "Reason: %(reason)s", date=until, reason=reason)
    return _("Your account is suspended until %(date)s: you can read but not write.",
             date=until)


# The rules name what someone tried to do by an English key ("reply"); the sentence a
# reader sees is whole here, so each language can order it its own way. A key missing
# from a table gets the general sentence.
SIGN_IN_TO = {
    "review articles": _l("Please sign in to review articles."),
    "change your settings": _l("Please sign in to change your settings."),
    "change your profile": _l("Please sign in to change your profile."),
    "report a member": _l("Please sign in to report a member."),
    "see your reports": _l("Please sign in to see your reports."),
    "moderate": _l("Please sign in to moderate."),
    "continue": _l("Please sign in to continue."),
    "start a discussion": _l("Please sign in to start a discussion."),
    "publish an article": _l("Please sign in to publish an article."),
    "reply": _l("Please sign in to reply."),
    "keep drafts": _l("Please sign in to keep drafts."),
    "mark threads read": _l("Please sign in to mark threads as read."),
    "edit posts": _l("Please sign in to edit posts."),
    "see the edit history": _l("Please sign in to see the edit history."),
    "report a post": _l("Please sign in to report a post."),
    "label posts": _l("Please sign in to label posts."),
    "say a post helped you": _l("Please sign in to say a post helped you."),
    "choose the answer": _l("Please sign in to choose the answer."),
    "save posts": _l("Please sign in to save posts."),
}
CONFIRM_TO = {
    "start a discussion": _l("Please confirm your email address to start a discussion."),
    "review articles": _l("Please confirm your email address to review articles."),
    "publish an article": _l("Please confirm your email address to publish an article."),
    "reply": _l("Please confirm your email address to reply."),
    "edit posts": _l("Please confirm your email address to edit posts."),
    "label posts": _l("Please confirm your email address to label posts."),
    "say a post helped you": _l("Please confirm your email address to say a post helped "
                                "you."),
    "choose the answer": _l("Please confirm your email address to choose the answer."),
}


def _sentence(table: dict, action, general) -> str:
    sentence = table.get(str(action)) if isinstance(action, str) else None
    return str(sentence) if sentence is not None else str(general)


def _member(user, action: str) -> Decision:
    if not _signed_in(user):
        return deny(LOGIN, _sentence(SIGN_IN_TO, action, _l("Please sign in to continue.")))
    if user.deleted_at is not None:
        return deny(403, _("This account has been closed."))
    return ALLOW


def _writer(user, action: str) -> Decision:
    decision = _member(user, action)
    if not decision:
        return decision
    if is_suspended(user):
        return deny(403, suspension_notice(user))
    if user.confirmed_at is None and community.get("REQUIRE_CONFIRMED_EMAIL_TO_POST"):
        return deny(403, _sentence(CONFIRM_TO, action,
                                   _l("Please confirm your email address to continue.")))
    return decision
