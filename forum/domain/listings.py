"""Reading: the queries the pages run — the front page, category and tag lists,
feeds, a thread's posts, a member's posts and threads.

Every query loads what its page shows in a fixed number of statements (eager
loads, no lazy loading in templates), whatever the number of rows; every list
shows only what `permissions` calls public, or what the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..extensions import db
from ..models import Category, Post, Tag, Thread, ThreadKind, User, thread_tags
from ..permissions import public_posts, public_threads, readable_threads, visible_posts


def _thread_list_options():
    return (joinedload(Thread.author).joinedload(User.verification), joinedload(Thread.category),
            joinedload(Thread.label))


def _visible_threads():
    return select(Thread).where(public_threads())


def _readable_threads(viewer):
    """The threads `viewer` may find with their words: lists that show an excerpt, an
    author or a post leave a members-only thread out for a visitor. Category and tag
    pages keep it, as a title row with its badge (templates ask `can.read_in_full`)."""
    return _visible_threads().where(readable_threads(viewer))


@dataclass
class FrontPage:
    articles: list[Thread]
    discussions: list[Thread]
    recent_threads: list[Thread]
    recent_comments: list[Post]


def front_page(viewer=None, articles: int = 5, discussions: int = 10,
               recent: int = 5) -> FrontPage:
    latest_articles = db.session.scalars(
        _readable_threads(viewer)
        .where(Thread.kind == ThreadKind.ARTICLE)
        .options(*_thread_list_options(), selectinload(Thread.tags))
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(articles)
    ).all()
    active = db.session.scalars(
        _readable_threads(viewer)
        .where(Thread.kind == ThreadKind.DISCUSSION)
        .options(*_thread_list_options())
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(discussions)
    ).all()
    recent_threads = db.session.scalars(
        _readable_threads(viewer).order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(recent)
    ).all()
    return FrontPage(latest_articles, active, recent_threads, recent_comments(recent, viewer))


def recent_comments(limit: int, viewer=None) -> list[Post]:
    return db.session.scalars(
        select(Post)
        .join(Post.thread)
        .where(Post.is_opening.is_(False), public_posts(), public_threads(),
               readable_threads(viewer))
        .options(joinedload(Post.author), joinedload(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    ).all()


def category_threads(category: Category, page: int, per_page: int, label_id: int | None = None,
                     answered: bool | None = None):
    """A page of the category's threads; `answered` True or False keeps only the threads
    with (or without) an answer marked, None keeps all."""
    query = (
        _visible_threads()
        .where(Thread.category_id == category.id)
        .options(*_thread_list_options())
        # Pinned threads first, then the most recently active.
        .order_by(Thread.pinned_at.is_(None), Thread.last_activity_at.desc(), Thread.id.desc())
    )
    if label_id:
        query = query.where(Thread.label_id == label_id)
    if answered is not None:
        query = query.where(Thread.answered_at.is_not(None) if answered
                            else Thread.answered_at.is_(None))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def tag_threads(name: str, page: int, per_page: int):
    tag = find_tag(name)
    if tag is None:
        return None, None
    query = (
        _visible_threads()
        .where(Thread.tags.any(Tag.id == tag.id))
        .options(*_thread_list_options())
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    return tag, db.paginate(query, page=page, per_page=per_page, error_out=False)


def feed_entries(tag: Tag | None = None, limit: int = 20) -> list[Post]:
    """Opening posts for a feed: the latest articles, or the latest threads with `tag`.
    A feed is read outside any session, so members-only threads are never in it."""
    query = (
        select(Post).join(Post.thread)
        .where(Post.is_opening.is_(True), public_posts(), public_threads(),
               readable_threads(None))
        .options(joinedload(Post.thread).selectinload(Thread.tags), joinedload(Post.author))
        .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit)
    )
    if tag is None:
        query = query.where(Thread.kind == ThreadKind.ARTICLE)
    else:
        query = query.where(Thread.tags.any(Tag.id == tag.id))
    return db.session.scalars(query).all()


def find_tag(name: str) -> Tag | None:
    """The tag called `name`, if anyone may see a thread that carries it. A tag used
    only by hidden, held or deleted threads does not exist for readers: its page and
    feed would otherwise say that such threads are there, and name their subject."""
    in_use = (
        select(thread_tags.c.thread_id)
        .join(Thread, Thread.id == thread_tags.c.thread_id)
        .where(thread_tags.c.tag_id == Tag.id, public_threads())
        .exists()
    )
    return db.session.scalar(select(Tag).where(Tag.name == name.lower().lstrip("#"), in_use))


def get_thread(thread_id: int) -> Thread | None:
    return db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id)
        .options(
            joinedload(Thread.author).joinedload(User.verification),
            joinedload(Thread.category),
            joinedload(Thread.locked_by),
            joinedload(Thread.label),
            joinedload(Thread.labelled_by),
            selectinload(Thread.tags),
            selectinload(Thread.references),
        )
    )


TEASER_LENGTH = 250


def teaser(thread: Thread) -> str:
    """What a signed-out visitor reads of a members-only thread: the first 250
    characters of its opening post as plain text, cut on a word, or nothing while the
    opening post is not public."""
    body = db.session.scalar(select(Post.body_html).where(
        Post.thread_id == thread.id, Post.is_opening.is_(True), public_posts()))
    return text.excerpt(body, TEASER_LENGTH) if body else ""


def thread_posts(thread: Thread, viewer, page: int, per_page: int):
    query = (
        select(Post)
        .where(Post.thread_id == thread.id, visible_posts(viewer))
        .options(joinedload(Post.author).joinedload(User.verification),
                 joinedload(Post.label), joinedload(Post.labelled_by))
        .order_by(Post.created_at, Post.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def user_posts(user: User, page: int, per_page: int, viewer=None):
    query = (
        select(Post)
        .join(Post.thread)
        .where(Post.author_id == user.id, public_posts(), public_threads(),
               readable_threads(viewer))
        .options(joinedload(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def user_threads(user: User, page: int, per_page: int, viewer=None):
    query = (
        _readable_threads(viewer)
        .where(Thread.author_id == user.id)
        .options(*_thread_list_options())
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
