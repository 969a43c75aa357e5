"""Helpful and answered: a member's "This helped me" on a post, and the reply a
discussion's starter or a moderator marks as its answer.

A helpful mark is a row per member and post; its unique constraint makes a second
send of the same button change nothing. A thread's answer is the one reply with
`answered_at` set (a partial unique index keeps it to one); the thread's own
`answered_at`, which lists filter on, is derived from it by forum.domain.visibility,
so an answer that is hidden or deleted stops counting until it is public again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..locking import insert_on_conflict, lock_for_update
from ..models import HelpfulMark, Post, Thread, User, utcnow
from ..permissions import Refused, can_mark_answer, can_see_who_helped, is_moderator, public_posts
from . import events, notifications, visibility

# -- "This helped me" --------------------------------------------------------------


def mark_helpful(post: Post, user: User) -> bool:
    """Say `post` helped `user`; False if they had already (a double click included:
    the insert skips the row the first click wrote, whichever worker it ran on)."""
    result = db.session.execute(
        insert_on_conflict(HelpfulMark)
        .values(post_id=post.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[HelpfulMark.post_id, HelpfulMark.user_id]))
    db.session.commit()
    return result.rowcount > 0


def unmark_helpful(post: Post, user: User) -> bool:
    """Take it back; False if there was nothing to take back."""
    result = db.session.execute(delete(HelpfulMark).where(
        HelpfulMark.post_id == post.id, HelpfulMark.user_id == user.id))
    db.session.commit()
    return result.rowcount > 0


@dataclass
class Helped:
    """What a page of posts shows about who they helped, read in two statements
    whatever the number of posts: `counts` by post id, the posts the viewer marked
    (`mine`), and for the viewer's own posts the members they helped (`names`)."""

    counts: dict[int, int] = field(default_factory=dict)
    mine: set[int] = field(default_factory=set)
    names: dict[int, list[User]] = field(default_factory=dict)


def helped_on(posts, viewer) -> Helped:
    ids = [post.id for post in posts]
    if not ids:
        return Helped()
    me = viewer.id if getattr(viewer, "is_authenticated", False) else None
    rows = db.session.execute(
        select(HelpfulMark.post_id, func.count(HelpfulMark.id),
               func.sum(case((HelpfulMark.user_id == me, 1), else_=0)))
        .where(HelpfulMark.post_id.in_(ids)).group_by(HelpfulMark.post_id)
    ).all()
    helped = Helped(counts={post_id: count for post_id, count, _ in rows},
                    mine={post_id for post_id, _, marked in rows if marked})
    own = [post.id for post in posts
           if post.id in helped.counts and can_see_who_helped(viewer, post)]
    if own:
        marks = db.session.scalars(
            select(HelpfulMark).where(HelpfulMark.post_id.in_(own))
            .options(joinedload(HelpfulMark.user).joinedload(User.verification))
            .order_by(HelpfulMark.created_at, HelpfulMark.id)
        ).all()
        for mark in marks:
            helped.names.setdefault(mark.post_id, []).append(mark.user)
    return helped


# -- the answer ----------------------------------------------------------------------


def answer_of(thread: Thread) -> Post | None:
    """The thread's answer while it is public (the thread's `answered_at` says whether
    there is one, so a thread without asks nothing)."""
    if thread.answered_at is None:
        return None
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.answered_at.is_not(None),
                           public_posts())
        .options(joinedload(Post.author)))


def mark_answer(post: Post, by: User) -> None:
    """Make `post` its thread's answer, in place of any other. Decided under the
    thread's lock, so two people choosing at once leave one answer, and re-checked
    there (the reply may have been hidden or labelled since the page was shown)."""
    thread = lock_for_update(post.thread)
    db.session.refresh(post)
    decision = can_mark_answer(by, post)
    if not decision:
        db.session.rollback()
        raise Refused(decision)
    _clear(thread)
    post.answered_at = utcnow()
    notifications.answered(post, by)
    _changed(thread, by, "answer: mark", post)


def unmark_answer(thread: Thread, by: User) -> bool:
    """The thread has no answer again; False if it had none."""
    thread = lock_for_update(thread)
    answer = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                  Post.answered_at.is_not(None)))
    if answer is None:
        db.session.rollback()
        return False
    _clear(thread)
    _changed(thread, by, "answer: unmark", answer)
    return True


def not_the_answer(post: Post) -> None:
    """A caution label on the answer (its claim unproven or misleading) takes it back:
    the thread no longer points readers to it (the caller records and commits)."""
    if post.answered_at is not None:
        post.answered_at = None
        db.session.flush()
        visibility.refresh_thread(post.thread)


def _clear(thread: Thread) -> None:
    db.session.execute(update(Post).where(Post.thread_id == thread.id,
                                          Post.answered_at.is_not(None))
                       .values(answered_at=None).execution_options(synchronize_session="fetch"))
    db.session.flush()


def _changed(thread: Thread, by: User, action: str, post: Post) -> None:
    db.session.flush()
    visibility.refresh_thread(thread)
    # The starter choosing for their own discussion is not moderation; a moderator
    # choosing for someone else's is, and goes in the log like any other action.
    if is_moderator(by) and thread.author_id != by.id:
        events.record(by, action, thread=thread, post=post, subject=post.author)
    events.commit()
