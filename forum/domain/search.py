"""Full-text search over thread titles and post bodies, behind one function.

On SQLite the index is an FTS5 table; on Postgres a table with a generated
tsvector column under a GIN index. Either way it is one row per post, named
`search_posts` (the `search_` prefix keeps it out of the migration check), and
services keep it current in the same transaction as the write. Queries always
join back to the posts and threads, so deleted or hidden content cannot appear
even if the index lags behind.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup
from sqlalchemy import text as sql

from .. import text
from ..extensions import db
from ..models import Post, Thread

START, STOP = "\x02", "\x03"  # snippet markers; normalised text never contains them
MAX_TERMS = 24

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_posts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRES_DDL = [
    "CREATE TABLE IF NOT EXISTS search_posts ("
    " post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,"
    " title text NOT NULL DEFAULT '',"
    " body text NOT NULL DEFAULT '',"
    " document tsvector GENERATED ALWAYS AS ("
    "  setweight(to_tsvector('english', title), 'A') ||"
    "  setweight(to_tsvector('english', body), 'B')) STORED)",
    "CREATE INDEX IF NOT EXISTS search_posts_document_idx ON search_posts USING gin (document)",
]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def create_objects(connection) -> None:
    """Create the index objects (tests build the schema with create_all, not migrations)."""
    ddl = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in ddl:
        connection.execute(sql(statement))


def drop_objects(connection) -> None:
    connection.execute(sql("DROP TABLE IF EXISTS search_posts"))


# -- keeping the index current ---------------------------------------------

def index_post(post: Post) -> None:
    """(Re)index one post in the current transaction; the caller commits. Only public
    posts of live threads are kept (queries check again, should the index lag)."""
    db.session.flush()
    remove_post(post)
    withheld = post.deleted_at or post.hidden_at or post.held_at
    if withheld is not None or post.thread.deleted_at is not None:
        return
    title = post.thread.title if post.is_opening else ""
    body = text.plain(post.body_html)
    if _dialect() == "sqlite":
        db.session.execute(
            sql("INSERT INTO search_posts (rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": post.id, "title": title, "body": body},
        )
    else:
        db.session.execute(
            sql("INSERT INTO search_posts (post_id, title, body) VALUES (:id, :title, :body)"),
            {"id": post.id, "title": title, "body": body},
        )


def remove_post(post: Post) -> None:
    column = "rowid" if _dialect() == "sqlite" else "post_id"
    db.session.execute(sql(f"DELETE FROM search_posts WHERE {column} = :id"),
                       {"id": post.id})


def clear() -> None:
    db.session.execute(sql("DELETE FROM search_posts"))


# -- searching -------------------------------------------------------------

@dataclass
class Hit:
    post_id: int
    thread_id: int
    thread_slug: str
    title: str
    snippet: Markup
    author: str | None
    created_at: datetime
    is_opening: bool


@dataclass
class Results:
    query: str
    items: list[Hit]
    total: int
    page: int
    per_page: int

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

    def iter_pages(self, **_):
        return range(1, self.pages + 1) if self.pages <= 9 else [
            n for n in range(1, self.pages + 1)
            if n <= 1 or n >= self.pages or abs(n - self.page) <= 2
        ]


_VISIBLE = (
    " JOIN posts p ON p.id = {key}"
    " JOIN threads t ON t.id = p.thread_id"
    " LEFT JOIN users u ON u.id = p.author_id"
    " WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.held_at IS NULL"
    " AND t.deleted_at IS NULL AND t.hidden_at IS NULL"
)


def search(query: str, page: int = 1, per_page: int = 20) -> Results:
    """Posts matching `query`, best first, with highlighted snippets.

    Any string is safe here: words are extracted and quoted for FTS5, and
    Postgres parses the text with websearch_to_tsquery, which never fails.
    """
    query = text.normalise(query or "").strip()[:200]
    terms = re.findall(r"\w+", query)[:MAX_TERMS]
    if not terms:
        return Results(query, [], 0, page, per_page)
    if _dialect() == "sqlite":
        rows, total = _sqlite(terms, page, per_page)
    else:
        rows, total = _postgres(" ".join(terms), page, per_page)
    return Results(query, [_hit(row) for row in rows], total, page, per_page)


def _sqlite(terms: list[str], page: int, per_page: int):
    match = " ".join(f'"{term}"' for term in terms)
    joins = _VISIBLE.format(key="search_posts.rowid")
    total = db.session.execute(
        sql(f"SELECT count(*) FROM search_posts {joins} AND search_posts MATCH :q"),
        {"q": match},
    ).scalar_one()
    rows = db.session.execute(
        sql(
            "SELECT p.id, t.id, t.slug, t.title, p.is_opening, p.created_at, u.username,"
            " u.deleted_at, snippet(search_posts, 1, :start, :stop, '…', 24)"
            f" FROM search_posts {joins} AND search_posts MATCH :q"
            " ORDER BY bm25(search_posts, 4.0, 1.0), p.id DESC LIMIT :limit OFFSET :offset"
        ),
        {"q": match, "start": START, "stop": STOP, "limit": per_page,
         "offset": (page - 1) * per_page},
    ).all()
    return rows, total


def _postgres(words: str, page: int, per_page: int):
    joins = _VISIBLE.format(key="s.post_id")
    query = "websearch_to_tsquery('english', :q)"
    total = db.session.execute(
        sql(f"SELECT count(*) FROM search_posts s {joins} AND s.document @@ {query}"),
        {"q": words},
    ).scalar_one()
    rows = db.session.execute(
        sql(
            "SELECT p.id, t.id, t.slug, t.title, p.is_opening, p.created_at, u.username,"
            f" u.deleted_at, ts_headline('english', s.body, {query},"
            "  'StartSel=' || :start || ', StopSel=' || :stop || ', MaxWords=35, MinWords=15')"
            f" FROM search_posts s {joins} AND s.document @@ {query}"
            f" ORDER BY ts_rank_cd(s.document, {query}) DESC, p.id DESC"
            " LIMIT :limit OFFSET :offset"
        ),
        {"q": words, "start": START, "stop": STOP, "limit": per_page,
         "offset": (page - 1) * per_page},
    ).all()
    return rows, total


def _hit(row) -> Hit:
    post_id, thread_id, slug, title, is_opening, created_at, username, gone, snippet = row
    if isinstance(created_at, str):  # SQLite hands raw SQL datetimes back as text
        created_at = datetime.fromisoformat(created_at)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return Hit(
        post_id=post_id, thread_id=thread_id, thread_slug=slug, title=title,
        snippet=text.highlight(snippet or "", START, STOP),
        author=None if gone else username, created_at=created_at,
        is_opening=bool(is_opening),
    )


# -- rebuilding ------------------------------------------------------------

def reindex(progress=None) -> int:
    """Rebuild the whole index; `progress(n)` is called as posts are done."""
    clear()
    ids = db.session.scalars(
        db.select(Post.id).join(Post.thread)
        .where(Post.deleted_at.is_(None), Thread.deleted_at.is_(None)).order_by(Post.id)
    ).all()
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        for post in db.session.scalars(db.select(Post).where(Post.id.in_(batch))):
            index_post(post)
        db.session.commit()
        if progress:
            progress(len(batch))
    return len(ids)
