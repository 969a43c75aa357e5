"""Who may do what: the only place that compares roles or ownership.

Each rule is a pure function `can_<verb>(user, obj=None) -> Decision`. Views
call `require(decision)`; templates ask the same rules through the `can`
global (`{% if can.reply(thread) %}`), so the two never drift apart. Queries
that list posts ask `visible_posts(user)` for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import and_, exists, or_, select, true

from . import community, text
from .dates import human_date
from .extensions import db
from .models import ExpertVerification, Post, Role, Thread, User, utcnow
from .standing import standing_of

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


class Refused(Exception):
    """Raised by a service that re-checks a rule inside its transaction (a race lost)."""

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


# -- who someone is ----------------------------------------------------------

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


_ARCHIVED = "This category is archived: it can be read but not added to."


def _open_category(user, category) -> Decision:
    """An archived category is read-only for members; moderators still tidy it."""
    if category is not None and category.archived_at and not is_moderator(user):
        return deny(403, _ARCHIVED)
    return ALLOW


# -- accounts ----------------------------------------------------------------

def can_manage_account(user, obj=None) -> Decision:
    return _member(user, "change your settings")


def can_edit_profile(user, obj=None) -> Decision:
    """The public profile is writing others read: suspended members keep their private
    settings but leave their name and bio as they are until the suspension ends."""
    decision = _member(user, "change your profile")
    if decision and is_suspended(user):
        return deny(403, suspension_notice(user))
    return decision


# -- reading ---------------------------------------------------------------

# Someone who may not see a thread or post is told only that there is nothing here:
# the same page as for an id that never existed, so an id's 404 does not say that it
# was deleted, hidden or held. The author and moderators, who know, get the reason.
NOT_FOUND = Decision(False, 404, "")


def can_view_thread(user, thread: Thread) -> Decision:
    if is_moderator(user):
        return ALLOW
    author = _is_active(user) and thread.author_id == user.id
    if thread.deleted_at is not None:
        return deny(404, "This thread was deleted.") if author else NOT_FOUND
    if thread.hidden_at is not None and not author:
        return NOT_FOUND
    return ALLOW


def can_view_post(user, post: Post) -> Decision:
    if is_moderator(user):
        return ALLOW
    if post.is_deleted:
        return deny(404, "This post was deleted.") if _owns(user, post) else NOT_FOUND
    if (post.is_hidden or post.is_held) and not _owns(user, post):
        return NOT_FOUND
    return ALLOW


def visible_posts(user):
    """SQL condition for the posts `user` may see in a thread (deleted ones show as a
    placeholder, so they are included)."""
    if is_moderator(user):
        return true()
    public = and_(Post.hidden_at.is_(None), Post.held_at.is_(None))
    if _is_active(user):
        return or_(public, Post.author_id == user.id)
    return public


def public_posts():
    """SQL condition for posts anyone may find in lists, search and feeds."""
    return and_(Post.deleted_at.is_(None), Post.hidden_at.is_(None), Post.held_at.is_(None))


def public_threads():
    return and_(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))


# -- writing ---------------------------------------------------------------

def first_posts_pending(approved_posts: int) -> bool:
    """Whether a member with this many approved posts still has first posts held
    (HOLD_FIRST_POSTS of them: 1 holds the first, 2 the first two)."""
    return approved_posts < community.get("HOLD_FIRST_POSTS")


def needs_review(user, html: str, approved_posts: Callable[[], int]) -> bool:
    """Whether a new post waits for a moderator: a new member's first posts, and links
    from an account less than a day old. Established accounts and staff never wait.
    `html` is everything the post would publish, rendered (`text.render` of the body,
    and for a new thread of its title and other fields too): a link is what the
    renderer makes one, bare domains and reference links included.
    `approved_posts` counts the author's posts that passed review, not the one being
    written; it is called (a COUNT over their posts) only for accounts that are not
    established."""
    if user.established_at is not None or is_moderator(user) or user.is_verified_expert:
        return False
    if first_posts_pending(approved_posts()):
        return True
    return user.created_at > utcnow() - timedelta(days=1) and text.has_links(html)

def can_start_discussion(user, category=None) -> Decision:
    decision = _writer(user, "start a discussion")
    return _open_category(user, category) if decision else decision


def can_publish_article(user, category=None) -> Decision:
    """`category` is where the article would go (threads.services.article_category)."""
    decision = _writer(user, "publish an article")
    if not decision:
        return decision
    if not (user.is_verified_expert or is_moderator(user)):
        return deny(403, "Only verified experts, moderators and admins can publish articles.")
    return _open_category(user, category)


def can_reply(user, thread: Thread) -> Decision:
    decision = _writer(user, "reply")
    if decision and thread.deleted_at is not None:
        return deny(404, "This thread was deleted.")
    if not decision or is_moderator(user):
        return decision
    if thread.is_locked:
        return deny(403, "This thread is locked.")
    if thread.category.archived_at:
        return deny(403, "This category is archived: it can be read but not added to.")
    return ALLOW


def can_keep_drafts(user, obj=None) -> Decision:
    """Drafts are private: any signed-in member keeps their own, suspended or not (a
    suspension stops publishing, not writing for later)."""
    return _member(user, "keep drafts")


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
    if post.thread.category.archived_at:
        return deny(403, "This category is archived: its posts can no longer be edited.")
    return ALLOW


def others_replied(post: Post) -> bool:
    """Whether anyone but the post's author has a public post in its thread, asked of
    the posts themselves (a cached count can be wrong; this decides what may go)."""
    return bool(db.session.scalar(select(exists().where(
        Post.thread_id == post.thread_id, Post.id != post.id, public_posts(),
        or_(Post.author_id.is_(None), Post.author_id != post.author_id),
    ))))


def can_delete_post(user, post: Post) -> Decision:
    """Authors may delete their posts, but not an opening post others have answered:
    that would take the conversation from under them. A moderator may; the thread and
    its replies then stay, under a "removed" opening post (forum.visibility)."""
    decision = can_edit_post(user, post)
    if decision and post.is_opening and not is_moderator(user) and others_replied(post):
        return deny(403, "The opening post of a discussion others have replied to "
                         "cannot be deleted.")
    return decision


def can_view_history(user, post: Post) -> Decision:
    """Earlier versions are the author's words too: once the post is deleted nobody,
    moderators included, reads them through the forum (`purge` later erases them)."""
    decision = _member(user, "see the edit history")
    if decision and not (_owns(user, post) or is_moderator(user)):
        return deny(403, "Only the author and moderators can see a post's edit history.")
    if decision and post.is_deleted:
        return deny(404, "This post was deleted, and its history with it.")
    return decision


def can_flag(user, post: Post) -> Decision:
    decision = _member(user, "report a post")
    if not decision:
        return decision
    if _owns(user, post):
        return deny(403, "You cannot report your own post.")
    if post.is_deleted:
        return deny(404, "This post was deleted.")
    return ALLOW


def can_report_user(user, subject: User) -> Decision:
    decision = _member(user, "report a member")
    if decision and subject.id == user.id:
        return deny(403, "You cannot report yourself.")
    return decision


def can_see_own_reports(user, obj=None) -> Decision:
    return _member(user, "see your reports")


def can_label(user, target=None) -> Decision:
    """Evidence labels: moderators, and verified experts, on threads and posts."""
    decision = _writer(user, "label posts")
    if decision and not (is_moderator(user) or user.is_verified_expert):
        return deny(403, "Only moderators and verified experts can label claims.")
    return decision


# -- moderation ------------------------------------------------------------

def needs_two_factor(user, required: bool) -> bool:
    """Staff hold other people's private words: where the community requires it
    (REQUIRE_STAFF_TWO_FACTOR), moderators and admins sign in in two steps."""
    return required and is_moderator(user)


def must_set_up_two_factor(user, required: bool) -> bool:
    """Staff who need two-step sign-in turn it on before doing anything else."""
    return needs_two_factor(user, required) and not user.has_two_factor


def _not_suspended(user, decision: Decision) -> Decision:
    """Staff an admin suspended or banned keep reading as staff (hidden posts too), but,
    like any suspended member, change nothing: no moderation, no admin pages."""
    if decision and is_suspended(user):
        return deny(403, suspension_notice(user))
    return decision


def can_moderate(user, obj=None) -> Decision:
    decision = _member(user, "moderate")
    if decision and not is_moderator(user):
        return deny(403, "Only moderators can do that.")
    return _not_suspended(user, decision)


def can_lock_thread(user, thread: Thread) -> Decision:
    return can_moderate(user, thread)


def can_suspend(user, subject: User) -> Decision:
    decision = can_moderate(user)
    if not decision:
        return decision
    if subject.id == user.id:
        return deny(403, "You cannot suspend yourself.")
    if subject.role in (Role.MODERATOR, Role.ADMIN) and not is_admin(user):
        return deny(403, "Only admins can suspend moderators and admins.")
    return ALLOW


def can_ban(user, subject: User) -> Decision:
    decision = can_administer(user)
    if decision and subject.id == user.id:
        return deny(403, "You cannot ban yourself.")
    return decision


def can_lift(user, subject: User) -> Decision:
    """Lifting a sanction takes the power to impose it: a moderator lifts a suspension,
    only an admin lifts a ban (lifting clears both)."""
    if subject.banned_at is None:
        return can_suspend(user, subject)
    if can_moderate(user) and not is_admin(user):
        return deny(403, "Only an admin can lift a ban.")
    return can_ban(user, subject)


def can_change_role(user, subject: User) -> Decision:
    decision = can_administer(user)
    if decision and subject.id == user.id:
        return deny(403, "You cannot change your own role; ask another admin.")
    return decision


def can_reset_two_factor(user, subject: User) -> Decision:
    """For a member who lost both phone and recovery codes; one's own is turned off
    in settings, with a code."""
    decision = can_administer(user)
    if decision and subject.id == user.id:
        return deny(403, "Turn off your own two-step sign-in from your settings.")
    return decision


def can_review_verifications(user, obj=None) -> Decision:
    return can_administer(user, obj)


def can_decide_verification(user, verification: ExpertVerification) -> Decision:
    decision = can_review_verifications(user)
    if decision and verification.user_id == user.id:
        return deny(403, "Another admin decides your own request.")
    return decision


def can_administer(user, obj=None) -> Decision:
    decision = _member(user, "continue")
    if decision and not is_admin(user):
        return deny(403, "Only admins can do that.")
    return _not_suspended(user, decision)


# -- enforcement -----------------------------------------------------------

def require(decision: Decision) -> None:
    """Stop the request unless `decision` allows it: anonymous users go to sign in."""
    if decision:
        return
    if decision.status == LOGIN:
        if request.method == "POST":
            # Signed out while writing: forum.errors gives the text back, or sends
            # them to sign in when there is none.
            abort(401, decision.reason)
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
