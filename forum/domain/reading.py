"""Unread: how far each signed-in member has read each thread, and what is new since.

A member's place in a thread is the newest post they have been shown of it
(`ThreadRead.last_read_post_id`); it only moves forward. A thread with no row has
never been opened. What is "new" is decided once, by `_new_since`: the public posts
after that place (not deleted, hidden or held), other than the member's own. Posts
are numbered as they are written (under the thread's lock, forum.domain.posts), so a
higher id is a later post.

Each question is one statement, whatever the number of threads or posts on a page.
Visitors have no place: nothing is read or written for them (`can_mark_read`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.exc import InternalError, OperationalError

from ..extensions import db
from ..locking import insert_on_conflict
from ..models import Category, Post, Thread, ThreadRead
from ..permissions import can_mark_read, public_posts, public_threads
from . import notifications
from .visibility import page_of_position

log = logging.getLogger("forum.reading")


def _new_since(member, place):
    """SQL condition: a post `member` has not read, after the post id `place`."""
    return and_(
        Post.id > place, public_posts(),
        or_(Post.author_id.is_(None), Post.author_id != member.id),
    )


@dataclass
class Unread:
    """What a thread list shows a reader: threads never opened, and new posts in the
    others. Empty for visitors."""

    tracked: bool = False
    new: dict[int, int] = field(default_factory=dict)

    def never_opened(self, thread: Thread) -> bool:
        return self.tracked and thread.id not in self.new

    def new_posts(self, thread: Thread) -> int:
        return self.new.get(thread.id, 0)


def unread(member, threads: Iterable[Thread]) -> Unread:
    """For a page of threads, in one query: how many new posts each opened one has."""
    ids = [thread.id for thread in threads]
    if not can_mark_read(member) or not ids:
        return Unread(tracked=bool(can_mark_read(member)))
    rows = db.session.execute(
        select(ThreadRead.thread_id, func.count(Post.id))
        .outerjoin(Post, (Post.thread_id == ThreadRead.thread_id)
                   & _new_since(member, ThreadRead.last_read_post_id))
        .where(ThreadRead.user_id == member.id, ThreadRead.thread_id.in_(ids))
        .group_by(ThreadRead.thread_id)
    ).all()
    return Unread(tracked=True, new=dict(rows))


def first_unread(member, thread: Thread, per_page: int) -> tuple[Post, int] | None:
    """The first post of `thread` that `member` has not read, and the page it is on, in
    one statement whatever the thread's length; None for a thread they have never opened
    (all of it is new) or have read to the end."""
    if not can_mark_read(member):
        return None
    found = db.session.scalar(
        select(Post)
        .join(ThreadRead, (ThreadRead.thread_id == Post.thread_id)
              & (ThreadRead.user_id == member.id))
        .where(Post.thread_id == thread.id, _new_since(member, ThreadRead.last_read_post_id))
        .order_by(Post.created_at, Post.id)
        .limit(1)
    )
    # A new post is public, so its position says its page.
    return None if found is None else (found, page_of_position(found.position, per_page))


def _upsert(statement):
    """Insert, or move an existing place forward (never back): one statement, so two
    pages open at once cannot race a read-then-write."""
    return statement.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
        set_={"last_read_post_id": statement.excluded.last_read_post_id},
        where=ThreadRead.last_read_post_id < statement.excluded.last_read_post_id,
    )


def record(member, thread: Thread, shown: Sequence[Post]) -> None:
    """`member` has been shown `shown` of `thread`: their place moves to the newest of
    them, if that is further on. Commits.

    The page is read already; its place is bookkeeping, so a database that cannot write
    just now (read-only, busy) leaves the place where it was and the page is still shown.
    The write starts a transaction of its own: on SQLite a read transaction that later
    writes fails at once if another process wrote meanwhile, where a fresh one waits."""
    if not can_mark_read(member) or not shown:
        return
    newest = max(post.id for post in shown)
    member_id, thread_id = member.id, thread.id
    if _read_already(member_id, thread_id, newest):
        return  # a page read again: nothing moves, so nothing is written
    db.session.rollback()
    try:
        db.session.execute(_upsert(insert_on_conflict(ThreadRead).values(
            user_id=member_id, thread_id=thread_id, last_read_post_id=newest)))
        # What the page showed is read in the bell too (one statement).
        db.session.execute(notifications.thread_read_statement(member_id, thread_id, newest))
        db.session.commit()
    except (OperationalError, InternalError):
        db.session.rollback()
        log.warning("a reader's place in thread %s was not kept: the database refused "
                    "the write", thread_id, exc_info=True)


def _read_already(member_id: int, thread_id: int, newest: int) -> bool:
    """Whether the member's place is at `newest` or further and no notification waits
    that reading up to there would read: one SELECT, so reading a page again writes
    nothing (on SQLite a write a page view would queue for the one writer)."""
    placed = exists().where(ThreadRead.user_id == member_id, ThreadRead.thread_id == thread_id,
                            ThreadRead.last_read_post_id >= newest)
    waiting = exists().where(notifications.unread_in_thread(member_id, thread_id, newest))
    return bool(db.session.scalar(select(placed & ~waiting)))


def mark_all_read(member, category: Category | None = None) -> None:
    """Every thread (of `category`, or everywhere) is read to its newest post, in one
    statement whatever the number of threads. Commits."""
    newest = (
        select(literal(member.id), Post.thread_id, func.max(Post.id))
        .join(Thread, Thread.id == Post.thread_id)
        .where(public_threads())
        .group_by(Post.thread_id)
    )
    if category is not None:
        newest = newest.where(Thread.category_id == category.id)
    db.session.execute(_upsert(insert_on_conflict(ThreadRead).from_select(
        ["user_id", "thread_id", "last_read_post_id"], newest)))
    db.session.commit()
