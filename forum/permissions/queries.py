"""The rules as SQL conditions, for queries that list posts and threads; and the one
question a rule asks of the database."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, true

from ..extensions import db
from ..models import Post, Thread
from .people import _is_active, is_moderator


def visible_posts(user, post=Post):
    """SQL condition for the posts `user` may see in a thread (deleted ones show as a
    placeholder, so they are included). `post` is Post or an alias of it."""
    if is_moderator(user):
        return true()
    public = and_(post.hidden_at.is_(None), post.held_at.is_(None))
    if _is_active(user):
        return or_(public, post.author_id == user.id)
    return public


def public_posts():
    """SQL condition for posts anyone may find in lists, search and feeds."""
    return and_(Post.deleted_at.is_(None), Post.hidden_at.is_(None), Post.held_at.is_(None))


def public_threads():
    return and_(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))


def others_replied(post: Post) -> bool:
    """Whether anyone but the post's author has a public post in its thread, asked of
    the posts themselves (a cached count can be wrong; this decides what may go)."""
    return bool(db.session.scalar(select(exists().where(
        Post.thread_id == post.thread_id, Post.id != post.id, public_posts(),
        or_(Post.author_id.is_(None), Post.author_id != post.author_id),
    ))))
