"""Reading and writing threads and posts: viewing, starting, replying, editing,
deleting, reporting and labelling; saying a post helped, and choosing a thread's answer;
saving a post as a bookmark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask_babel import gettext as _

from .. import community, text
from ..models import Post, Thread, utcnow
from .decisions import ALLOW, LOGIN, NOT_FOUND, Decision, deny
from .people import _is_active, _member, _owns, _signed_in, _writer, is_moderator
from .queries import others_replied


def can_add_to_category(user, category) -> Decision:
    """The category's own state, the same for everyone: an archived category can be read
    but not added to. Its page says so, to moderators too, who still tidy it
    (`_open_category`)."""
    if category is not None and category.archived_at:
        return deny(403, _("This category is archived: it can be read but not added to."))
    return ALLOW


def _open_category(user, category) -> Decision:
    """An archived category is read-only for members; moderators still tidy it."""
    return ALLOW if is_moderator(user) else can_add_to_category(user, category)


# -- reading ---------------------------------------------------------------

def can_view_thread(user, thread: Thread) -> Decision:
    if is_moderator(user):
        return ALLOW
    author = _is_active(user) and thread.author_id == user.id
    if thread.deleted_at is not None:
        return deny(404, _("This thread was deleted.")) if author else NOT_FOUND
    if thread.hidden_at is not None and not author:
        return NOT_FOUND
    return ALLOW


def can_read_in_full(user, thread: Thread) -> Decision:
    """A members-only thread (#14, HealthUnlocked's pattern) shows a signed-out visitor
    only its title and the start of its opening post: its replies, its authors and the
    rest of its words are for signed-in members. Every page that shows a thread's posts
    asks this, after `can_view_thread`; lists ask `readable_threads` (queries.py)."""
    if thread.members_only and not _signed_in(user):
        return deny(LOGIN, _("This conversation is for members: please sign in to read it."))
    return ALLOW


def can_view_article_details(user, thread: Thread) -> Decision:
    """An article's summary, references and author's box, around its opening post. A
    deleted article keeps none of its words, for anyone (moderators see only that it
    was there)."""
    if not thread.is_article:
        return NOT_FOUND
    if thread.deleted_at is not None:
        return deny(404, _("This article was deleted."))
    return ALLOW


def can_view_post(user, post: Post) -> Decision:
    if is_moderator(user):
        return ALLOW
    if post.is_deleted:
        return deny(404, _("This post was deleted.")) if _owns(user, post) else NOT_FOUND
    if (post.is_hidden or post.is_held) and not _owns(user, post):
        return NOT_FOUND
    return ALLOW


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
        return deny(403, _("Only verified experts, moderators and admins can publish articles."))
    return _open_category(user, category)


def can_review_articles(user, thread: Thread | None = None) -> Decision:
    """Keeping articles up to date (/articles/review, "Mark reviewed"): verified experts,
    moderators and admins, on articles that still have their words."""
    decision = _writer(user, "review articles")
    if not decision:
        return decision
    if not (user.is_verified_expert or is_moderator(user)):
        return deny(403, _("Only verified experts, moderators and admins can review articles."))
    if thread is not None and (not thread.is_article or thread.deleted_at is not None):
        return NOT_FOUND
    return ALLOW


def can_reply(user, thread: Thread) -> Decision:
    decision = _writer(user, "reply")
    if decision and thread.deleted_at is not None:
        return deny(404, _("This thread was deleted."))
    if not decision or is_moderator(user):
        return decision
    if thread.is_locked:
        return deny(403, _("This thread is locked."))
    return can_add_to_category(user, thread.category)


def can_keep_drafts(user, obj=None) -> Decision:
    """Drafts are private: any signed-in member keeps their own, suspended or not (a
    suspension stops publishing, not writing for later)."""
    return _member(user, "keep drafts")


def can_mark_read(user, obj=None) -> Decision:
    """Where a member has read to is kept for signed-in members only: a visitor's
    reading is not recorded, and they see no unread markers."""
    return _member(user, "mark threads read")


def can_edit_post(user, post: Post) -> Decision:
    decision = _writer(user, "edit posts")
    if not decision:
        return decision
    if post.is_deleted:
        return deny(404, _("This post was deleted."))
    if is_moderator(user):
        return ALLOW
    if not _owns(user, post):
        return deny(403, _("You can only edit your own posts."))
    if post.thread.is_locked:
        return deny(403, _("This thread is locked."))
    if post.thread.category.archived_at:
        return deny(403, _("This category is archived: its posts can no longer be edited."))
    return ALLOW


def can_delete_post(user, post: Post) -> Decision:
    """Authors may delete their posts, but not an opening post others have answered:
    that would take the conversation from under them. A moderator may; the thread and
    its replies then stay, under a "removed" opening post (forum.visibility)."""
    decision = can_edit_post(user, post)
    if decision and post.is_opening and not is_moderator(user) and others_replied(post):
        return deny(403, _("The opening post of a discussion others have replied to "
                           "cannot be deleted."))
    return decision


def can_view_history(user, post: Post) -> Decision:
    """Earlier versions are the author's words too: once the post is deleted nobody,
    moderators included, reads them through the forum (`purge` later erases them)."""
    decision = _member(user, "see the edit history")
    if decision and not (_owns(user, post) or is_moderator(user)):
        return deny(403, _("Only the author and moderators can see a post's edit history."))
    if decision and post.is_deleted:
        return deny(404, _("This post was deleted, and its history with it."))
    return decision


def can_flag(user, post: Post) -> Decision:
    decision = _member(user, "report a post")
    if not decision:
        return decision
    if _owns(user, post):
        return deny(403, _("You cannot report your own post."))
    if post.is_deleted:
        return deny(404, _("This post was deleted."))
    return ALLOW


def can_label(user, target=None) -> Decision:
    """Evidence labels: moderators, and verified experts, on threads and posts."""
    decision = _writer(user, "label posts")
    if decision and not (is_moderator(user) or user.is_verified_expert):
        return deny(403, _("Only moderators and verified experts can label claims."))
    return decision


# -- helpful and answered ------------------------------------------------------

def _public(post: Post) -> bool:
    return not (post.is_deleted or post.is_hidden or post.is_held)


def can_mark_helpful(user, post: Post) -> Decision:
    """"This helped me" (and taking it back) on any post everyone can see, but not on
    your own: the author is told who, so it is a small public act, not for the suspended."""
    decision = _writer(user, "say a post helped you")
    if not decision:
        return decision
    if _owns(user, post):
        return deny(403, _("You cannot mark your own post as helpful."))
    if not _public(post):
        return deny(403, _("Only a post everyone can see can be marked as helpful.")) \
            if is_moderator(user) else NOT_FOUND
    return ALLOW


def can_see_who_helped(user, post: Post) -> Decision:
    """The names behind a post's helpful count are for its author; others see the count."""
    return ALLOW if _owns(user, post) else deny(403, _("Only the author sees who a post "
                                                       "helped."))


def can_choose_answer(user, thread: Thread) -> Decision:
    """Who picks a discussion's answer (and takes it back): its starter, or a moderator."""
    decision = _writer(user, "choose the answer")
    if not decision:
        return decision
    if thread.deleted_at is not None:
        return deny(404, _("This thread was deleted."))
    if thread.is_article:
        return deny(403, _("An article has comments, not an answer."))
    if is_moderator(user) or (thread.author_id is not None and thread.author_id == user.id):
        return ALLOW
    return deny(403, _("Only the person who started the discussion, or a moderator, can "
                       "choose its answer."))


def can_mark_answer(user, post: Post) -> Decision:
    """A public reply can be the answer, unless a label says its claim is unproven or
    misleading (a "caution" label): the answer is the one reply the thread points to."""
    decision = can_choose_answer(user, post.thread)
    if not decision:
        return decision
    if post.is_opening:
        return deny(403, _("The opening post cannot be its own discussion's answer."))
    if not _public(post):
        return deny(403, _("Only a reply everyone can see can be marked as the answer."))
    if post.label is not None and post.label.tone == "caution":
        return deny(403, _("This reply is labelled “%(label)s”: a reply whose claim is "
                           "unproven or misleading cannot be marked as the answer.",
                           label=post.label.name))
    return ALLOW


# -- bookmarks -------------------------------------------------------------------------

def can_bookmark(user, post: Post | None = None) -> Decision:
    """Saving a post (with a note and a reminder) is for signed-in members, suspended or
    not (a bookmark is private, like a draft), and only of a post everyone can see:
    a saved post shows up again in the member's list and reminders, so one that is
    hidden, held or deleted is never saved. Without a post: whether the member keeps
    bookmarks at all (their list, removing one)."""
    decision = _member(user, "save posts")
    if not decision or post is None:
        return decision
    seen = can_view_thread(user, post.thread)
    if seen:
        seen = can_view_post(user, post)
    if not seen:
        return seen
    thread = post.thread
    if not _public(post) or thread.deleted_at is not None or thread.hidden_at is not None:
        return deny(403, _("Only a post everyone can see can be saved."))
    return ALLOW
