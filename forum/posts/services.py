"""Posts: replies, and the counters a reply changes."""

from __future__ import annotations

from datetime import datetime

from .. import text
from ..extensions import db
from ..models import Post, Thread, User, utcnow


def add_reply(thread: Thread, author: User, body: str, at: datetime | None = None) -> Post:
    at = at or utcnow()
    source = text.normalise(body)
    post = Post(
        thread=thread,
        author=author,
        body_source=source,
        body_html=text.render(source),
        created_at=at,
    )
    db.session.add(post)
    thread.reply_count = Thread.reply_count + 1
    thread.last_activity_at = at
    db.session.commit()
    return post
