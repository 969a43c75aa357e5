"""Whether a post is public, and everything derived from it: the one owner.

A post is public unless it is deleted, hidden by a moderator or held for review
(`permissions.public_posts` is that rule as SQL, for every list, feed and search).
Only the functions here change those three states (`delete`, `hide`, `unhide`,
`hold`, `release`, `reject`), and each brings the post's thread and the search
index in step in the same transaction. Callers record who did it and commit.

A thread caches what its posts say, so that lists need neither count nor join
posts. Each cached column is defined once, in `derived_values()`, from the rows:

- `reply_count`: the public replies (not deleted, hidden or held);
- `last_activity_at`: when the newest public post was written, so a hidden or
  held post neither bumps a thread nor tells visitors when it was written;
- `hidden_at`: the opening post is hidden or held;
- `deleted_at`: the opening post is deleted and no public reply is left. A thread
  others are talking in never goes with its opening post: the opening shows as
  deleted and the replies stay where they are;
- `answered_at`: when its answer was marked, while that reply is public (a hidden
  answer stops counting, and counts again when it is restored).

Nothing adds or subtracts: after changing whether a post is deleted, hidden or
held, `post_changed(post)` recomputes its thread under the thread's row lock (so
concurrent writers each count what the other committed) and puts the post in or
out of the search index. `recount()` recomputes every
thread, for `flask --app forum recount`.

Each public post also carries its `position` among the thread's public posts (1 for
the first, in created_at, id order; None while not public), so that page N of a
thread is a range of positions found by index. It is kept here too, under the same
lock: a post that stops being public closes its gap (the later ones move down one),
one that becomes public opens a gap at its place by time (`_place`), and a new public
post takes the place after the last public post before it (`published`). `recount()`
renumbers every thread in one statement per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, case, func, null, or_, select, update

from .. import pagecache
from ..extensions import db
from ..locking import lock_for_update
from ..models import Post, Thread, User, utcnow
from ..permissions import public_posts
from . import search

DERIVED = ("reply_count", "last_activity_at", "hidden_at", "deleted_at", "answered_at")


def derived_values() -> dict:
    """SQL for each derived column, correlated to the thread row being updated."""
    of_thread = Post.thread_id == Thread.id
    replies = select(func.count(Post.id)).where(
        of_thread, Post.is_opening.is_(False), public_posts()).scalar_subquery()
    newest = select(func.max(Post.created_at)).where(of_thread, public_posts()).scalar_subquery()
    of_opening = (of_thread, Post.is_opening.is_(True))
    opening_withheld = select(func.coalesce(Post.hidden_at, Post.held_at)).where(*of_opening) \
        .limit(1).scalar_subquery()
    opening_deleted = select(Post.deleted_at).where(*of_opening).limit(1).scalar_subquery()
    answered = select(func.max(Post.answered_at)).where(
        of_thread, Post.is_opening.is_(False), public_posts()).scalar_subquery()
    return {
        "reply_count": replies,
        "last_activity_at": func.coalesce(newest, Thread.created_at),
        "hidden_at": opening_withheld,
        # Replies are counted only when the opening post is deleted (CASE in order).
        "deleted_at": case((opening_deleted.is_(None), null()), (replies == 0, opening_deleted),
                           else_=null()),
        "answered_at": answered,
    }


def refresh_thread(thread: Thread) -> None:
    """Recompute `thread`'s derived columns from its posts (the caller holds the
    thread's lock, see `post_changed`, and commits)."""
    db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(**derived_values())
        .execution_options(synchronize_session=False, **pagecache.in_thread(thread.id))
    )
    db.session.expire(thread, list(DERIVED))


def _is_public(post: Post) -> bool:
    return post.deleted_at is None and post.hidden_at is None and post.held_at is None


def _place(post: Post) -> None:
    """Bring the post's position in step with whether it is public, moving the later
    public posts of its thread by one (the caller holds the thread's lock and has
    flushed the post). Two or three statements, each found by index."""
    stored = db.session.scalar(select(Post.position).where(Post.id == post.id))
    later = (Post.thread_id == post.thread_id)
    # Positions are shown only on this thread's pages (and its place in the lists).
    scoped = {"synchronize_session": False, **pagecache.in_thread(post.thread_id)}
    if stored is not None and not _is_public(post):
        db.session.execute(update(Post).where(Post.id == post.id).values(position=None)
                           .execution_options(**scoped))
        db.session.execute(update(Post).where(later, Post.position > stored)
                           .values(position=Post.position - 1)
                           .execution_options(**scoped))
    elif stored is None and _is_public(post):
        before = db.session.scalar(
            select(Post.position)
            .where(Post.thread_id == post.thread_id, Post.position.is_not(None),
                   Post.id != post.id,
                   Post.created_at <= post.created_at,
                   or_(Post.created_at < post.created_at,
                       and_(Post.created_at == post.created_at, Post.id < post.id)))
            .order_by(Post.created_at.desc(), Post.id.desc()).limit(1)
        ) or 0
        db.session.execute(update(Post).where(later, Post.position > before)
                           .values(position=Post.position + 1)
                           .execution_options(**scoped))
        db.session.execute(update(Post).where(Post.id == post.id).values(position=before + 1)
                           .execution_options(**scoped))
    else:
        return
    # Other posts of the thread in the session may hold an old position.
    for other in list(db.session.identity_map.values()):
        if isinstance(other, Post) and other.thread_id == post.thread_id:
            db.session.expire(other, ["position"])


def published(post: Post) -> None:
    """A post was just written public (a reply, an opening post): it takes its
    position and its thread is recounted. The caller holds the thread's lock (a new
    thread's is its own) and commits."""
    db.session.flush()
    _place(post)
    refresh_thread(post.thread)


def post_changed(post: Post) -> None:
    """Bring the post's thread, its positions and the search index in step with the
    post, after a change to whether it is deleted, hidden or held (the caller commits)."""
    db.session.flush()
    thread = lock_for_update(post.thread)
    _place(post)
    refresh_thread(thread)
    search.index_post(post)  # in the index only while public


def page_of_position(position: int | None, per_page: int) -> int:
    """The page of its thread a public position is on (page 1 for what comes before
    the first public post): a page is a range of positions, see
    forum.domain.listings.thread_posts."""
    return 1 if not position else (position - 1) // per_page + 1


# -- the states a post can be in ---------------------------------------------------

def delete(post: Post, by: User) -> bool:
    """Soft delete: the post's place says who removed it. A deleted opening post takes
    its thread only while no public reply is left (decided under the thread's lock, so
    a reply arriving at the same moment keeps the thread); otherwise the replies stay,
    under a placeholder. False if it was already deleted."""
    if post.deleted_at is not None:
        return False
    post.deleted_at = utcnow()
    post.deleted_by_id = by.id
    post_changed(post)
    return True


def hide(post: Post, by: User, reason: str, at: datetime | None = None) -> bool:
    """Hide a post from everyone but its author and moderators; False if it was."""
    if post.is_hidden:
        return False
    post.hidden_at = at or utcnow()
    post.hidden_by_id = by.id
    post.hidden_reason = reason.strip()
    post_changed(post)
    return True


def unhide(post: Post) -> bool:
    if not post.is_hidden:
        return False
    post.hidden_at = None
    post.hidden_by_id = None
    post.hidden_reason = ""
    post_changed(post)
    return True


def hold(post: Post, reason: str = "") -> None:
    """Put a just-written (or just-edited) post in the review queue; `reason` (English,
    stored) says why when it is not only that the author is new."""
    post.held_at = post.created_at or utcnow()
    post.held_reason = reason
    post_changed(post)


def release(post: Post) -> bool:
    """A moderator approved a held post: it is public from now on."""
    if not post.is_held or post.is_hidden or post.is_deleted:
        return False
    post.held_at = None
    post_changed(post)
    return True


# The reason stored when a moderator gives none. Stored in English, like every reason:
# the post's page shows it translated (templates/_partials/post.html).
NOT_APPROVED = "Not approved by a moderator."  # i18n: not shown (stored; shown translated)


def reject(post: Post, by: User, reason: str) -> bool:
    """A moderator did not approve a held post: out of the queue, hidden from now on."""
    if not post.is_held:
        return False
    post.held_at = None
    post.hidden_at = utcnow()
    post.hidden_by_id = by.id
    post.hidden_reason = reason.strip() or NOT_APPROVED
    post_changed(post)
    return True


def words_changed(post: Post) -> None:
    """After an edit: the search index holds the post's new words (if it is public)."""
    search.index_post(post)


# -- repairing ----------------------------------------------------------------------

def renumber(thread_ids) -> set[int]:
    """Give the public posts of `thread_ids` their positions from the rows and take
    them off every other post, in two set-based statements (only posts whose position
    is wrong are written); returns the threads that had one wrong."""
    in_threads = Post.thread_id.in_(thread_ids)
    numbered = (
        select(Post.id, func.row_number().over(
            partition_by=Post.thread_id, order_by=(Post.created_at, Post.id)).label("n"))
        .where(in_threads, public_posts()).subquery()
    )
    moved = db.session.execute(
        update(Post).where(Post.id == numbered.c.id,
                           Post.position.is_distinct_from(numbered.c.n))
        .values(position=numbered.c.n).returning(Post.thread_id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    cleared = db.session.execute(
        update(Post).where(in_threads, Post.position.is_not(None), ~public_posts())
        .values(position=None).returning(Post.thread_id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    return {*moved, *cleared}


def recount(progress: Callable[[int], None] = lambda n: None, batch: int = 500) -> int:
    """Recompute every thread's derived columns and its posts' positions, committing a
    batch at a time; returns how many threads were wrong. `progress(n)` is told as
    threads are done."""
    ids = db.session.scalars(select(Thread.id).order_by(Thread.id)).all()
    wrong = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        values = derived_values()
        # Only rows that differ are written (and counted), so a recount of a healthy
        # forum changes nothing.
        recounted = db.session.execute(
            update(Thread).where(
                Thread.id.in_(chunk),
                or_(*(getattr(Thread, name).is_distinct_from(value)
                      for name, value in values.items())),
            ).values(**values).returning(Thread.id)
            .execution_options(synchronize_session=False)
        ).scalars().all()
        wrong += len({*recounted, *renumber(chunk)})
        db.session.commit()
        progress(len(chunk))
    db.session.expire_all()
    return wrong
