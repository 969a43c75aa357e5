"""Who may do what: the only place that compares roles or ownership.

Each rule is a pure function `can_<verb>(user, obj=None) -> Decision`. Views
call `require(decision)`; templates ask the same rules through the `can`
global (`{% if can.reply(thread) %}`), so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from .models import Post, Role, Thread

LOGIN = "login"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int | str = 200
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(status: int | str, reason: str) -> Decision:
    return Decision(False, status, reason)


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


def _member(user, action: str) -> Decision:
    if not _signed_in(user):
        return deny(LOGIN, f"Please sign in to {action}.")
    if user.deleted_at is not None:
        return deny(403, "This account has been closed.")
    return ALLOW


def _writer(user, action: str) -> Decision:
    decision = _member(user, action)
    if (
        decision
        and user.confirmed_at is None
        and current_app.config["REQUIRE_CONFIRMED_EMAIL_TO_POST"]
    ):
        return deny(403, f"Please confirm your email address to {action}.")
    return decision


# -- accounts ----------------------------------------------------------------

def can_manage_account(user, obj=None) -> Decision:
    return _member(user, "change your settings")


# -- reading ---------------------------------------------------------------

def can_view_thread(user, thread: Thread) -> Decision:
    if thread.deleted_at is not None and not is_moderator(user):
        return deny(404, "This thread was deleted.")
    return ALLOW


def can_view_post(user, post: Post) -> Decision:
    if post.is_deleted and not is_moderator(user):
        return deny(404, "This post was deleted.")
    return ALLOW


# -- writing ---------------------------------------------------------------

def can_start_discussion(user, category=None) -> Decision:
    return _writer(user, "start a discussion")


def can_publish_article(user, obj=None) -> Decision:
    decision = _writer(user, "publish an article")
    if not decision:
        return decision
    if user.is_verified_expert or is_moderator(user):
        return ALLOW
    return deny(403, "Only verified experts, moderators and admins can publish articles.")


def can_reply(user, thread: Thread) -> Decision:
    decision = _writer(user, "reply")
    if not decision:
        return decision
    if thread.is_locked and not is_moderator(user):
        return deny(403, "This thread is locked.")
    return ALLOW


def can_edit_post(user, post: Post) -> Decision:
    decision = _writer(user, "edit posts")
    if not decision:
        return decision
    if post.is_deleted:
        return deny(404, "This post was deleted.")
    if is_moderator(user):
        return ALLOW
    if not _owns(user, post):
        return deny(403, "You can only edit your own posts.")
    if post.thread.is_locked:
        return deny(403, "This thread is locked.")
    return ALLOW


def can_delete_post(user, post: Post) -> Decision:
    decision = can_edit_post(user, post)
    if decision and not is_moderator(user) and post.is_opening and post.thread.reply_count:
        return deny(403, "The opening post of a discussion with replies cannot be deleted.")
    return decision


def can_view_history(user, post: Post) -> Decision:
    decision = _member(user, "see the edit history")
    if decision and not (_owns(user, post) or is_moderator(user)):
        return deny(403, "Only the author and moderators can see a post's edit history.")
    return decision


def can_flag(user, post: Post) -> Decision:
    decision = _member(user, "report a post")
    if not decision:
        return decision
    if _owns(user, post):
        return deny(403, "You cannot report your own post.")
    return ALLOW


# -- moderation ------------------------------------------------------------

def can_moderate(user, obj=None) -> Decision:
    decision = _member(user, "moderate")
    if decision and not is_moderator(user):
        return deny(403, "Only moderators can do that.")
    return decision


def can_lock_thread(user, thread: Thread) -> Decision:
    return can_moderate(user, thread)


def can_review_verifications(user, obj=None) -> Decision:
    return can_administer(user, obj)


def can_administer(user, obj=None) -> Decision:
    decision = _member(user, "continue")
    if decision and not is_admin(user):
        return deny(403, "Only admins can do that.")
    return decision


# -- enforcement -----------------------------------------------------------

def require(decision: Decision) -> None:
    """Stop the request unless `decision` allows it: anonymous users go to sign in."""
    if decision:
        return
    if decision.status == LOGIN:
        abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
    abort(decision.status, decision.reason)


class _Can:
    """`can.reply(thread)` in templates: the rules above, bound to the current user."""

    def __getattr__(self, verb: str):
        rule = self._rule(verb)
        return lambda obj=None: bool(rule(current_user, obj))

    def why(self, verb: str, obj=None) -> str:
        """The reason a rule refuses the current user ("" when it allows)."""
        return self._rule(verb)(current_user, obj).reason

    @staticmethod
    def _rule(verb: str):
        rule = globals().get(f"can_{verb}")
        if rule is None:
            raise AttributeError(verb)
        return rule


can = _Can()
