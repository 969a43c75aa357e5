"""Posts: replies, edits with history, soft deletion, and the counters they change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from .. import search, text
from ..extensions import db
from ..models import Post, PostRevision, Thread, User, utcnow
from ..threads.services import write_once


def add_reply(thread: Thread, author: User, body: str, at: datetime | None = None,
              submission: str | None = None) -> Post:
    """Store a reply; a resend of the same form returns the first send's reply."""
    at = at or utcnow()
    source = text.normalise(body)

    def write() -> Post:
        post = Post(
            thread=thread,
            author=author,
            body_source=source,
            body_html=text.render(source),
            created_at=at,
            submission_token=submission or None,
        )
        db.session.add(post)
        search.index_post(post)
        # Counted in SQL, so concurrent replies do not overwrite each other's count.
        thread.reply_count = Thread.reply_count + 1
        thread.last_activity_at = at
        return post

    return write_once(submission, author, write)


def revise(post: Post, editor: User, body: str) -> bool:
    """Keep the current text as a revision and put `body` in its place (no commit).
    False when nothing changed."""
    source = text.normalise(body)
    if source == post.body_source:
        return False
    db.session.add(PostRevision(
        post_id=post.id, body_source=post.body_source, editor=editor,
        written_at=post.edited_at or post.created_at,
    ))
    post.body_source = source
    post.body_html = text.render(source)
    post.edited_at = utcnow()
    return True


def edit_post(post: Post, editor: User, body: str) -> bool:
    changed = revise(post, editor, body)
    search.index_post(post)
    db.session.commit()
    return changed


def delete_post(post: Post, by: User) -> None:
    """Soft delete: the post's place says who removed it; counts and activity follow."""
    soft_delete(post, by)
    db.session.commit()


def soft_delete(post: Post, by: User) -> None:
    """delete_post without the commit, for callers that delete several posts at once."""
    if post.deleted_at is not None:
        return
    post.deleted_at = utcnow()
    post.deleted_by_id = by.id
    search.remove_post(post)
    thread = post.thread
    if post.is_opening and thread.reply_count == 0:
        thread.deleted_at = post.deleted_at
    elif not post.is_opening:
        thread.reply_count = Thread.reply_count - 1
        db.session.flush()
        thread.last_activity_at = _last_activity(thread)
        db.session.flush()


def latest_post(thread: Thread) -> Post:
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(1)
    ) or db.session.scalar(select(Post).where(Post.thread_id == thread.id).limit(1))


def _last_activity(thread: Thread) -> datetime:
    latest = db.session.scalar(
        select(func.max(Post.created_at)).where(
            Post.thread_id == thread.id, Post.deleted_at.is_(None)
        )
    )
    return latest or thread.created_at


def revisions(post: Post) -> list[PostRevision]:
    return db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc())
    ).all()


def get_post(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def page_of(post: Post, per_page: int) -> int:
    """Which page of its thread a post is on."""
    before = db.session.scalar(
        select(func.count(Post.id)).where(
            Post.thread_id == post.thread_id,
            (Post.created_at < post.created_at)
            | ((Post.created_at == post.created_at) & (Post.id < post.id)),
        )
    )
    return before // per_page + 1


def quote(post: Post) -> str:
    """Markdown that quotes `post` at the start of a reply."""
    name = post.author.username if post.author and not post.author.deleted_at else "a former member"
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body_source.splitlines())
    return f"{quoted}\n>\n> — @{name}\n\n"
