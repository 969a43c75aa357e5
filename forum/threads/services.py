"""Threads: the queries the reading pages run, and starting discussions and articles.

Every query loads what its page shows in a fixed number of statements
(eager loads, no lazy loading in templates), whatever the number of rows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..extensions import db
from ..models import Category, Post, Reference, Tag, Thread, ThreadKind, User, utcnow

MAX_TAGS = 5
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "thread"


def parse_tags(raw: str) -> list[str]:
    """'#ResearchSpeak, diet' -> ['researchspeak', 'diet']; order kept, duplicates dropped."""
    names = []
    for word in re.split(r"[\s,]+", raw or ""):
        name = word.strip().lstrip("#").lower()
        if name and name not in names:
            names.append(name)
    return names


def _thread_list_options():
    return (joinedload(Thread.author).joinedload(User.verification), joinedload(Thread.category))


def _visible_threads():
    return select(Thread)


# -- reading ---------------------------------------------------------------

@dataclass
class FrontPage:
    articles: list[Thread]
    discussions: list[Thread]
    recent_threads: list[Thread]
    recent_comments: list[Post]


def front_page(articles: int = 5, discussions: int = 10, recent: int = 5) -> FrontPage:
    latest_articles = db.session.scalars(
        _visible_threads()
        .where(Thread.kind == ThreadKind.ARTICLE)
        .options(*_thread_list_options(), selectinload(Thread.tags))
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(articles)
    ).all()
    active = db.session.scalars(
        _visible_threads()
        .where(Thread.kind == ThreadKind.DISCUSSION)
        .options(*_thread_list_options())
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(discussions)
    ).all()
    recent_threads = db.session.scalars(
        _visible_threads().order_by(Thread.created_at.desc(), Thread.id.desc()).limit(recent)
    ).all()
    return FrontPage(latest_articles, active, recent_threads, recent_comments(recent))


def recent_comments(limit: int) -> list[Post]:
    return db.session.scalars(
        select(Post)
        .where(Post.is_opening.is_(False), Post.deleted_at.is_(None))
        .options(joinedload(Post.author), joinedload(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    ).all()


def categories() -> list[Category]:
    return db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def category_threads(category: Category, page: int, per_page: int):
    query = (
        _visible_threads()
        .where(Thread.category_id == category.id)
        .options(*_thread_list_options())
        # Pinned threads first, then the most recently active.
        .order_by(Thread.pinned_at.is_(None), Thread.last_activity_at.desc(), Thread.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def tag_threads(name: str, page: int, per_page: int):
    tag = db.session.scalar(select(Tag).where(Tag.name == name.lower().lstrip("#")))
    if tag is None:
        return None, None
    query = (
        _visible_threads()
        .where(Thread.tags.any(Tag.id == tag.id))
        .options(*_thread_list_options())
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    return tag, db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_thread(thread_id: int) -> Thread | None:
    return db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id)
        .options(
            joinedload(Thread.author).joinedload(User.verification),
            joinedload(Thread.category),
            joinedload(Thread.locked_by),
            selectinload(Thread.tags),
            selectinload(Thread.references),
        )
    )


def thread_posts(thread: Thread, page: int, per_page: int):
    query = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .options(joinedload(Post.author).joinedload(User.verification))
        .order_by(Post.created_at, Post.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def user_posts(user: User, page: int, per_page: int):
    query = (
        select(Post)
        .where(Post.author_id == user.id, Post.deleted_at.is_(None))
        .options(joinedload(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def user_threads(user: User, limit: int = 10) -> list[Thread]:
    return db.session.scalars(
        _visible_threads()
        .where(Thread.author_id == user.id)
        .order_by(Thread.created_at.desc(), Thread.id.desc())
        .limit(limit)
    ).all()


def user_post_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Post.id)).where(Post.author_id == user.id, Post.deleted_at.is_(None))
    )


# -- writing ---------------------------------------------------------------

def _tags(names: list[str]) -> list[Tag]:
    names = names[:MAX_TAGS]
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return [existing.get(name) or Tag(name=name) for name in names]


def _new_thread(
    kind: ThreadKind,
    author: User,
    category: Category,
    title: str,
    body: str,
    tags: list[str],
    at: datetime | None,
    **fields,
) -> Thread:
    at = at or utcnow()
    title = text.normalise(title).strip()
    thread = Thread(
        kind=kind,
        author=author,
        category=category,
        title=title,
        slug=slugify(title),
        created_at=at,
        last_activity_at=at,
        tags=_tags(tags),
        **fields,
    )
    body = text.normalise(body)
    opening = Post(
        thread=thread,
        author=author,
        is_opening=True,
        body_source=body,
        body_html=text.render(body),
        created_at=at,
    )
    db.session.add_all([thread, opening])
    return thread


def start_discussion(
    author: User, category: Category, title: str, body: str, tags: list[str],
    at: datetime | None = None,
) -> Thread:
    thread = _new_thread(ThreadKind.DISCUSSION, author, category, title, body, tags, at)
    db.session.commit()
    return thread


@dataclass
class Citation:
    citation: str
    doi: str | None = None
    pmid: str | None = None


def publish_article(
    author: User,
    category: Category,
    title: str,
    summary: str,
    body: str,
    tags: list[str],
    references: list[Citation],
    disclosure: str,
    at: datetime | None = None,
) -> Thread:
    thread = _new_thread(
        ThreadKind.ARTICLE, author, category, title, body, tags, at,
        summary=text.normalise(summary).strip(),
        disclosure=text.normalise(disclosure).strip(),
        references=[
            Reference(position=i, citation=ref.citation, doi=ref.doi, pmid=ref.pmid)
            for i, ref in enumerate(references)
        ],
    )
    db.session.commit()
    return thread
