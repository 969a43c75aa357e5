"""How long a deleted post's words are kept, and erasing them after that.

A deleted post shows none of its text to anyone, but its row keeps the words for
`DELETED_RETENTION_DAYS` (moderators may need to answer a question about abuse, and
the database backups hold them anyway). `flask --app forum purge` then erases the
source, the rendered HTML, every earlier revision and the search index row, and for
an opening post the article's summary and disclosure. The row itself stays, so the
thread keeps its "Deleted by the author" placeholder and its order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, exists, or_, select

from ..extensions import db
from ..models import Post, PostRevision, utcnow
from . import search

BATCH = 500


def due_for_purge(days: int) -> list[int]:
    """Ids of posts deleted more than `days` ago that still hold any of their words.
    Purged posts no longer match, so running the purge again finds nothing."""
    cutoff = utcnow() - timedelta(days=days)
    has_revisions = exists().where(PostRevision.post_id == Post.id)
    return db.session.scalars(
        select(Post.id)
        .where(Post.deleted_at.is_not(None), Post.deleted_at < cutoff,
               or_(Post.body_source != "", Post.body_html != "", has_revisions))
        .order_by(Post.id)
    ).all()


def purge(ids: list[int], progress: Callable[[int], None] | None = None) -> int:
    """Erase the words of the posts `ids`, a batch per transaction; returns how many."""
    erased = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(batch)))
        for post in db.session.scalars(select(Post).where(Post.id.in_(batch))):
            post.body_source = post.body_html = ""
            if post.is_opening:
                post.thread.summary = post.thread.disclosure = ""
            search.remove_post(post)
            erased += 1
        db.session.commit()
        if progress:
            progress(len(batch))
    return erased
