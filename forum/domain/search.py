"""Full-text search over thread titles and post bodies, behind one function.

On SQLite the index is an FTS5 table; on Postgres a table with a generated
tsvector column under a GIN index. Either way it is one row per post, named
`search_posts` (the `search_` prefix keeps it out of the migration check), and
services keep it current in the same transaction as the write. Queries always
join back to the posts and threads and keep only what `permissions.public_posts()`
and `public_threads()` call public, the rule every list and feed asks, so search
follows that rule when it changes, and withheld content cannot appear even if the
index lags behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from markupsafe import Markup
from sqlalchemy import column, delete, func, insert, literal, select, table
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql

from .. import pagecache, text
from ..extensions import db
from ..models import Post, Thread, User
from ..permissions import public_posts, public_threads, readable_threads
from .listings import Page

START, STOP = "\x02", "\x03"  # snippet markers; normalised text never contains them
MAX_TERMS = 24

# A thread's posts by id, so search within a thread finds the range of its posts' ids
# without reading them all (named search_*, it is ours, not the models').
THREAD_IDS_DDL = ("CREATE INDEX IF NOT EXISTS search_posts_thread_ids"
                  " ON posts (thread_id, id)")
SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_posts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
    THREAD_IDS_DDL,
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
    THREAD_IDS_DDL,
]


# The index as SQLAlchemy sees it, one shape per database. FTS5 has a hidden column
# named after its table: MATCH, snippet() and bm25() take it to mean the whole row.
FTS5 = table("search_posts", column("rowid"), column("title"), column("body"),
             column("search_posts"))
TSVECTOR = table("search_posts", column("post_id"), column("title"), column("body"),
                 column("document"))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _key():
    """The index column that holds the post's id."""
    return FTS5.c.rowid if _dialect() == "sqlite" else TSVECTOR.c.post_id


def create_objects(connection) -> None:
    """Create the index objects (tests build the schema with create_all, not migrations)."""
    ddl = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in ddl:
        connection.execute(sql(statement))


def drop_objects(connection) -> None:
    connection.execute(sql("DROP INDEX IF EXISTS search_posts_thread_ids"))
    connection.execute(sql("DROP TABLE IF EXISTS search_posts"))


# -- keeping the index current ---------------------------------------------

def index_post(post: Post) -> None:
    """(Re)index one post in the current transaction; the caller commits.

    The index holds the posts `public_posts()` calls public, asked of the database
    after a flush so there is one rule. Whether the thread is public is left to the
    query (`public_threads()`): a thread is hidden while its opening post is, and its
    replies are not re-indexed when it comes back."""
    db.session.flush()
    remove_post(post)
    key = _key()
    title = post.thread.title if post.is_opening else ""
    public = select(Post.id, literal(title), literal(text.plain(post.body_html))) \
        .where(Post.id == post.id, public_posts())
    db.session.execute(insert(key.table).from_select([key.name, "title", "body"], public)
                       .execution_options(**pagecache.in_thread(post.thread_id)))


def remove_post(post: Post) -> None:
    key = _key()
    db.session.execute(delete(key.table).where(key == post.id)
                       .execution_options(**pagecache.in_thread(post.thread_id)))


def clear() -> None:
    db.session.execute(delete(_key().table))


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
    author_id: int | None = None


@dataclass
class Results(Page):
    """One page of hits. `total` counts the candidates, never more than the bound;
    `more` says the query matched more posts than that (the page says "more than"),
    and every page of the candidates is known, so all their numbers are shown."""
    query: str = ""

    def iter_pages(self, **_):
        return range(1, self.pages + 1) if self.pages <= 9 else [
            n for n in range(1, self.pages + 1)
            if n <= 1 or n >= self.pages or abs(n - self.page) <= 2
        ]


def search(query: str, page: int = 1, per_page: int = 20,
           thread_id: int | None = None, viewer=None) -> Results:
    """Public posts matching `query`, best first, with highlighted snippets. With
    `thread_id`, only that thread's posts (search within one thread; the same rule of
    what anyone may find). A visitor (`viewer` None or signed out) finds nothing in
    members-only threads.

    The cost does not grow with the number of matches: the candidates are the newest
    `SEARCH_CANDIDATES` findable matches (the highest post ids; in one thread, within the
    range of its own posts' ids), walked down the index and stopped at the bound; only they
    are ranked (bm25 / ts_rank_cd, a title weighing more than a body), ties newest
    first, and only the page's rows get snippets. Past the bound the count says "more
    than" and there are no further pages. Two statements, the candidates and the page
    (in a thread, a first one finds the range of its post ids).

    Any string is safe here: words are extracted and quoted for FTS5, and
    Postgres parses the text with websearch_to_tsquery, which never fails; either
    way the text is a bound parameter.
    """
    query = text.normalise(query or "").strip()[:200]
    terms = re.findall(r"\w+", query)[:MAX_TERMS]
    if not terms:
        return Results([], page, per_page, 0, query=query)
    if _dialect() == "sqlite":
        match, snippet, rank = _fts5(terms)
    else:
        match, snippet, rank = _tsvector(" ".join(terms))
    key = _key()
    bound = current_app.config["SEARCH_CANDIDATES"]
    candidates = db.session.execute(
        _public_matches(select(key, rank), key, match, thread_id, viewer)
        .order_by(key.desc()).limit(bound + 1)
    ).all()
    more = len(candidates) > bound
    candidates = candidates[:bound]
    # Best first (the rank expressions sort ascending), ties newest first; the order
    # of `candidates` is newest first, and sorted() keeps it among equals.
    ranked = [post_id for post_id, _ in sorted(candidates, key=lambda row: row[1])]
    wanted = ranked[(page - 1) * per_page:page * per_page]
    rows = db.session.execute(
        select(Post.id, Thread.id, Thread.slug, Thread.title, Post.is_opening,
               Post.created_at, User.username, User.deleted_at, snippet, Post.author_id)
        .select_from(key.table)
        .join(Post, Post.id == key)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(User, User.id == Post.author_id)
        # The same rule again: a post withheld since the first statement stays out.
        .where(match, key.in_(wanted), public_posts(), public_threads(),
               readable_threads(viewer))
    ).all() if wanted else []
    place = {post_id: n for n, post_id in enumerate(wanted)}
    rows.sort(key=lambda row: place[row[0]])
    return Results([_hit(row) for row in rows], page, per_page, len(candidates), more,
                   query=query)


def _public_matches(statement, key, match, thread_id=None, viewer=None):
    """`statement` over the index rows that match, joined to their posts and threads
    and kept to what anyone may find (the rule lists and feeds use); with `thread_id`,
    to one thread's posts."""
    statement = (
        statement.select_from(key.table)
        .join(Post, Post.id == key)
        .join(Thread, Thread.id == Post.thread_id)
        .where(match, public_posts(), public_threads(), readable_threads(viewer))
    )
    if thread_id is None:
        return statement
    # The thread's own posts first: their id range (from search_posts_thread_ids) bounds
    # the walk down the index, so a long thread does not visit every match on the site.
    first, last = db.session.execute(
        select(func.min(Post.id), func.max(Post.id)).where(Post.thread_id == thread_id)).one()
    return statement.where(Post.thread_id == thread_id, key.between(first or 0, last or 0))


def _fts5(terms: list[str]):
    """Each word quoted, so FTS5 syntax in the query is only ever words; title
    matches weigh four times body matches."""
    row = FTS5.c.search_posts
    match = row.match(" ".join(f'"{term}"' for term in terms))
    return match, func.snippet(row, 1, START, STOP, "…", 24), func.bm25(row, 4.0, 1.0)


def _tsvector(words: str):
    tsquery = postgresql.websearch_to_tsquery("english", words)
    match = TSVECTOR.c.document.bool_op("@@")(tsquery)
    snippet = postgresql.ts_headline(
        "english", TSVECTOR.c.body, tsquery,
        f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15",
    )
    return match, snippet, -func.ts_rank_cd(TSVECTOR.c.document, tsquery)


def _hit(row) -> Hit:
    post_id, thread_id, slug, title, is_opening, created_at, username, gone, snippet, \
        author_id = row
    return Hit(
        post_id=post_id, thread_id=thread_id, thread_slug=slug, title=title,
        snippet=text.highlight(snippet or "", START, STOP),
        author=None if gone else username, created_at=created_at,
        is_opening=bool(is_opening), author_id=author_id,
    )


# -- rebuilding ------------------------------------------------------------

def reindex(progress=None) -> int:
    """Rebuild the whole index; returns how many posts it holds, and `progress(n)`
    is called as posts are done."""
    clear()
    ids = db.session.scalars(select(Post.id).where(public_posts()).order_by(Post.id)).all()
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        for post in db.session.scalars(db.select(Post).where(Post.id.in_(batch))):
            index_post(post)
        db.session.commit()
        if progress:
            progress(len(batch))
    return len(ids)
