"""Moderators' actions on threads and posts: lock, pin, move, hide, restore, and the
review queue of held posts. Each changes one thing, records it in the log with who
and why (forum.domain.events), tells the author, and commits once — or, with
`commit=False`, leaves the commit to a caller acting on several things at once
(forum.domain.reports). A post's visibility itself changes only through
forum.domain.visibility.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..locking import lock_for_update
from ..models import Category, Post, Thread, User, utcnow
from ..permissions import first_posts_pending, public_posts
from . import events, notifications, visibility

# -- threads -----------------------------------------------------------------------

def lock_thread(thread: Thread, moderator: User, reason: str, at: datetime | None = None,
                commit: bool = True) -> bool:
    """Lock `thread`; False (and nothing recorded) if it was already locked. Takes the
    thread's row lock, so a reply racing the lock lands before it or is refused."""
    lock_for_update(thread)
    if thread.is_locked:
        return False
    thread.locked_at = at or utcnow()
    thread.locked_by = moderator
    thread.lock_reason = reason.strip()
    events.record(moderator, "lock", thread.locked_at, thread.lock_reason, thread=thread)
    if thread.author_id != moderator.id:
        events.tell(thread.author,
                    _l("A moderator locked your thread “%(title)s”.", title=thread.title),
                    thread.lock_reason, f"/t/{thread.id}")
    if commit:
        events.commit()
    return True


def unlock_thread(thread: Thread, moderator: User, reason: str = "") -> bool:
    lock_for_update(thread)
    if not thread.is_locked:
        return False
    thread.locked_at = None
    thread.locked_by = None
    thread.lock_reason = ""
    events.record(moderator, "unlock", reason=reason, thread=thread)
    events.commit()
    return True


def pin_thread(thread: Thread, moderator: User, at: datetime | None = None) -> bool:
    if thread.is_pinned:
        return False
    thread.pinned_at = at or utcnow()
    thread.pinned_by = moderator
    events.record(moderator, "pin", thread.pinned_at, thread=thread)
    events.commit()
    return True


def unpin_thread(thread: Thread, moderator: User) -> bool:
    if not thread.is_pinned:
        return False
    thread.pinned_at = None
    thread.pinned_by = None
    events.record(moderator, "unpin", thread=thread)
    events.commit()
    return True


def move_thread(thread: Thread, moderator: User, category: Category, reason: str = "") -> bool:
    if thread.category_id == category.id:
        return False
    old = thread.category.name
    thread.category = category
    events.record(moderator, "move", reason=f"{old} → {category.name}. {reason}".strip(),
                  thread=thread)
    events.commit()
    return True


def set_members_only(thread: Thread, moderator: User, on: bool, reason: str = "") -> bool:
    """Make `thread` members-only (or open it to everyone again); False if it already
    was. Logged as "members-only: on" / "members-only: off"; its starter is told."""
    lock_for_update(thread)
    if bool(thread.members_only) == on:
        return False
    thread.members_only = on
    events.record(moderator, "members-only: on" if on else "members-only: off",
                  reason=reason, thread=thread)
    if thread.author_id != moderator.id:
        message = (_l("A moderator made your thread “%(title)s” visible to signed-in "
                      "members only.", title=thread.title) if on else
                   _l("A moderator made your thread “%(title)s” visible to everyone again.",
                      title=thread.title))
        events.tell(thread.author, message, reason.strip(), f"/t/{thread.id}")
    events.commit()
    return True


# -- posts -------------------------------------------------------------------------

def hide_post(post: Post, moderator: User, reason: str, commit: bool = True) -> bool:
    if not visibility.hide(post, moderator, reason):
        return False
    events.record(moderator, "hide", post.hidden_at, reason, thread=post.thread, post=post,
                  subject=post.author)
    events.tell(post.author, _l("A moderator hid one of your posts."), reason, f"/p/{post.id}")
    if commit:
        events.commit()
    return True


def restore_post(post: Post, moderator: User, reason: str = "") -> bool:
    if not visibility.unhide(post):
        return False
    events.record(moderator, "restore", reason=reason, thread=post.thread, post=post,
                  subject=post.author)
    events.tell(post.author, _l("A moderator restored one of your posts."), reason, f"/p/{post.id}")
    events.commit()
    return True


# -- holding new members' posts -----------------------------------------------------

def approved_post_count(user: User, excluding: Post | None = None) -> int:
    """The author's posts that passed review: public now, so either a moderator
    approved them or they were never held. Rejected, hidden, deleted and waiting
    posts do not count, nor `excluding` (the post being written)."""
    query = select(func.count(Post.id)).where(Post.author_id == user.id, public_posts())
    if excluding is not None:
        db.session.flush()  # the post being written has its id
        query = query.where(Post.id != excluding.id)
    return db.session.scalar(query)


def held_posts() -> list[Post]:
    return db.session.scalars(
        select(Post).where(Post.held_at.is_not(None), Post.deleted_at.is_(None),
                           Post.hidden_at.is_(None))
        .order_by(Post.held_at)
    ).all()


def approve_post(post: Post, moderator: User) -> bool:
    if not visibility.release(post):
        return False
    author = post.author
    if (author is not None and author.established_at is None
            and not first_posts_pending(approved_post_count(author))):
        # Once as many posts as the community holds have been approved, the author
        # posts freely from now on.
        author.established_at = utcnow()
    events.record(moderator, "approve", thread=post.thread, post=post, subject=post.author)
    notifications.post_published(post)
    events.tell(post.author,
                _l("A moderator approved your post; it is now visible to everyone."), "",
                f"/p/{post.id}")
    events.commit()
    return True


def reject_post(post: Post, moderator: User, reason: str) -> bool:
    if not visibility.reject(post, moderator, reason):
        return False
    events.record(moderator, "reject", post.hidden_at, reason, thread=post.thread, post=post,
                  subject=post.author)
    events.tell(post.author, _l("A moderator did not approve your post."), reason, f"/p/{post.id}")
    events.commit()
    return True
