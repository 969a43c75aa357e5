"""Reading: the queries the pages run — the front page, category and tag lists,
feeds, a thread's posts, a member's posts and threads.

Every query loads what its page shows in a fixed number of statements (eager
loads, no lazy loading in templates), whatever the number of rows or the page asked
for; every list shows only what `permissions` calls public, or what the viewer may see.

A page of a thread is a range of its public posts' positions (kept by
forum.domain.visibility): no OFFSET and no COUNT, so its last page costs what its
first does. Lists of threads and posts count their rows only as far as the pages the
pagination shows (`Page.more` says there are others), never the whole list.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..extensions import db
from ..models import Category, Post, Tag, Thread, ThreadKind, User, thread_tags
from ..permissions import public_posts, public_threads, readable_threads, visible_posts


@dataclass
class Page:
    """One page of a list, with what templates/_macros/pagination.html asks of it.
    `total` is the number of rows, or, when `more`, how many were counted of a longer
    list (enough for the page numbers shown around this one)."""

    items: list
    page: int
    per_page: int
    total: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
                   right_edge: int = 2) -> Iterator[int | None]:
        """Page numbers for the pagination, None for a gap (as Flask-SQLAlchemy's);
        when the end was not counted, the last pages are a gap."""
        shown = {*range(1, min(left_edge, self.pages) + 1),
                 *range(max(1, self.page - left_current),
                        min(self.page + right_current, self.pages) + 1)}
        if not self.more:
            shown.update(range(max(1, self.pages - right_edge + 1), self.pages + 1))
        previous = 0
        for number in sorted(shown):
            if number > previous + 1:
                yield None
            yield number
            previous = number
        if self.more:
            yield None


def _counted_as_far_as(page: int, per_page: int) -> int:
    """How many rows a list counts: up to two pages past `page`, and one more to know
    whether the list goes on (the pagination shows two pages either side)."""
    return (page + 2) * per_page + 1


def _count_up_to(query, limit: int):
    """SQL: the number of rows of `query`, counting no further than `limit`."""
    return select(func.count()).select_from(query.order_by(None).limit(limit).subquery()) \
        .scalar_subquery()


def _page_of(query, page: int, per_page: int, options=()) -> Page:
    """A page of `query` (ordered) and its bounded count: two statements."""
    limit = _counted_as_far_as(page, per_page)
    total = db.session.scalar(select(_count_up_to(query, limit)))
    items = db.session.scalars(
        query.options(*options).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items, page, per_page, total, more=total == limit)


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
                     answered: bool | None = None) -> Page:
    """A page of the category's threads, pinned first, then the most recently active;
    `answered` True or False keeps only the threads with (or without) an answer marked,
    None keeps all. Pinned threads and the others are read apart, each in index order
    (ix_threads_category_activity), so no page sorts the whole category: three
    statements, the bounded counts, the pinned threads on the page and the others."""
    listed = _visible_threads().where(Thread.category_id == category.id)
    if label_id:
        listed = listed.where(Thread.label_id == label_id)
    if answered is not None:
        listed = listed.where(Thread.answered_at.is_not(None) if answered
                              else Thread.answered_at.is_(None))
    pinned = listed.where(Thread.pinned_at.is_not(None))
    limit = _counted_as_far_as(page, per_page)
    pinned_count, total = db.session.execute(
        select(_count_up_to(pinned, limit), _count_up_to(listed, limit))).one()
    start = (page - 1) * per_page
    newest_first = (Thread.last_activity_at.desc(), Thread.id.desc())
    on_page = db.session.scalars(
        pinned.options(*_thread_list_options()).order_by(*newest_first)
        .offset(start).limit(per_page)).all()
    others = db.session.scalars(
        listed.where(Thread.pinned_at.is_(None)).options(*_thread_list_options())
        .order_by(*newest_first)
        .offset(max(0, start - pinned_count)).limit(per_page - len(on_page))).all()
    return Page([*on_page, *others], page, per_page, total, more=total == limit)


def tag_threads(name: str, page: int, per_page: int):
    tag = find_tag(name)
    if tag is None:
        return None, None
    query = (
        _visible_threads()
        .where(Thread.tags.any(Tag.id == tag.id))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    return tag, _page_of(query, page, per_page, _thread_list_options())


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


def _from(key: Post):
    """SQL: a post at or after `key` in thread order (created_at, id). The plain
    comparison on created_at lets the index (thread_id, created_at, id) find the range."""
    return and_(Post.created_at >= key.created_at,
                or_(Post.created_at > key.created_at, Post.id >= key.id))


def _before(key: Post):
    return and_(Post.created_at <= key.created_at,
                or_(Post.created_at < key.created_at, Post.id < key.id))


def public_post_count(thread: Thread, at_positions=()) -> tuple[int, dict]:
    """How many public posts `thread` has, from its counters: its public replies and
    the opening post, when that is public too (the post at position reply_count + 1
    exists). One statement, which also reads the posts at `at_positions`."""
    guess = thread.reply_count + 1
    found = {row.position: row for row in db.session.execute(
        select(Post.position, Post.created_at, Post.id)
        .where(Post.thread_id == thread.id, Post.position.in_({guess, *at_positions})))}
    return (guess if guess in found else guess - 1), found


def thread_posts(thread: Thread, viewer, page: int, per_page: int) -> Page:
    """Page `page` of `thread` for `viewer`: from its public post at position
    (page - 1) * per_page + 1 (page 1 from the start) to, not including, the one at
    page * per_page + 1 (the last page to the end), every post `viewer` may see there,
    in thread order. So a visitor sees `per_page` public posts a page and a moderator
    or an author also the hidden and held ones, in their places (and anyone a deleted
    post's placeholder). Three statements, whatever the thread's length or the page:
    the bounds, the public posts by position, and the others there by time — each
    found by the index (thread_id, position), never by a time range whose size the
    planner has to guess (Postgres took a global created_at scan for it at a million)."""
    first, after = (page - 1) * per_page + 1, page * per_page + 1
    public, bounds = public_post_count(thread, (first, after))
    if page > 1 and first not in bounds:
        return Page([], page, per_page, public)  # past the end
    options = (joinedload(Post.author).joinedload(User.verification),
               joinedload(Post.label), joinedload(Post.labelled_by))
    by_position = select(Post).where(Post.thread_id == thread.id, Post.position >= first)
    if after in bounds:
        by_position = by_position.where(Post.position < after)
    shown = db.session.scalars(
        by_position.options(*options).order_by(Post.position)).unique().all()
    # The posts that are not public (no position) but that this viewer sees, in between.
    others = select(Post).where(Post.thread_id == thread.id, Post.position.is_(None),
                                visible_posts(viewer))
    if page > 1:
        others = others.where(_from(bounds[first]))
    if after in bounds:
        others = others.where(_before(bounds[after]))
    extra = db.session.scalars(others.options(*options)).unique().all()
    if extra:
        shown = sorted([*shown, *extra], key=lambda post: (post.created_at, post.id))
    return Page(shown, page, per_page, public)


def user_posts(user: User, page: int, per_page: int, viewer=None) -> Page:
    query = (
        select(Post)
        .join(Post.thread)
        .where(Post.author_id == user.id, public_posts(), public_threads(),
               readable_threads(viewer))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    return _page_of(query, page, per_page, (joinedload(Post.thread),))


def user_threads(user: User, page: int, per_page: int, viewer=None) -> Page:
    query = (
        _readable_threads(viewer)
        .where(Thread.author_id == user.id)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )
    return _page_of(query, page, per_page, _thread_list_options())
