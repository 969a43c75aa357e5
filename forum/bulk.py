"""Synthetic load data for benchmarks: `flask --app forum seed bulk --threads N --posts M`.

A million posts through the services would take an hour (each reply locks its thread,
recounts it, indexes itself and notifies its watchers, one commit per post). This is
the fast path: Core bulk inserts (executemany, which SQLAlchemy sends as multi-row
INSERTs), BATCH posts to a transaction, that leave the rows the services would have:

- each post's `body_html` is `text.render` of its `body_source`. Bodies are drawn from
  a pool of varied invented texts, so each distinct body is rendered once;
- `posts.position` is the post's place among its thread's public posts (all of them
  here: the bulk accounts are established, the words hold no link nor crisis phrase);
- the thread's derived columns are set by `visibility.derived_values()` itself, the
  definition `flask --app forum recount` checks against, once per batch;
- the search index gets one row per post, as `search.index_post` writes it (the
  opening post carries the thread's title);
- tags, categories, every ARTICLE_EVERY-th thread an article by the bulk expert with a
  reference and its first review, and the thread watches that writing a post makes.

What the fast path leaves out, on purpose: notifications (every reply would tell up to
twenty watchers; a million posts would leave twenty million unread notifications) and
the safety checks, which the pool's text cannot trip.

The text is invented filler in the forum's vocabulary, drawn from a seeded random
generator, so two loads of the same size and seed hold the same words. The accounts
share one public password (BULK_PASSWORD), hashed once: like the demo, bulk data never
belongs in a forum real people use (`FORUM_ENV=production` refuses it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql

from . import text
from .domain import search, visibility
from .domain.accounts import create_user
from .domain.threads import slugify
from .extensions import db
from .locking import insert_on_conflict
from .models import (
    AccountRole,
    ArticleReview,
    Category,
    Post,
    Reference,
    Role,
    Tag,
    Thread,
    ThreadKind,
    ThreadWatch,
    User,
    WatchLevel,
    thread_tags,
    utcnow,
)

BULK_PASSWORD = "bulk-load-password"  # noqa: S105 (public, like the demo's: bench/README.md)
MEMBERS = 20
EXPERT = "bulk_expert"
# Every ARTICLE_EVERY-th thread is an expert's article, so the front page and the
# feed have articles to show; the others are discussions.
ARTICLE_EVERY = 10
# Posts written in one transaction: large enough that a commit is rare, small enough
# that an interrupted load loses little and memory stays flat.
BATCH = 10_000
# Distinct bodies; each is rendered once.
POOL = 600

# (slug, name); articles go to the first.
CATEGORIES = (
    ("bulk-research", "Bulk: research"),
    ("bulk-living", "Bulk: living with MS"),
    ("bulk-treatments", "Bulk: treatments"),
)
TAGS = ("fatigue", "heat", "sleep", "walking", "work", "diet", "mri", "relapse")
TOPICS = (
    "fatigue in the afternoon", "cooling vests in summer", "sleep and night cramps",
    "walking aids", "telling my employer", "eating well on tired days", "my first MRI",
    "a relapse or a bad week", "physio exercises", "brain fog at work",
    "the neurologist appointment", "spasticity in the mornings", "cramp at night",
)
WORDS = (
    "fatigue", "relapse", "neurologist", "nurse", "lesion", "myelin", "walking", "balance",
    "heat", "sleep", "bladder", "vision", "numbness", "tingling", "physio", "cooling",
    "clinic", "appointment", "treatment", "infusion", "injection", "steroids", "scan",
    "energy", "pacing", "rest", "family", "partner", "work", "garden", "tea", "morning",
    "evening", "stairs", "stick", "scooter", "diary", "symptom", "spasticity", "cramp",
)
PHRASES = (
    "What helped me was {a} and a lot of {b}.",
    "My {a} has been worse since the {b} last month.",
    "I asked my nurse about {a}; she suggested keeping a {b} diary.",
    "Does anyone else find that {a} makes the {b} harder?",
    "Thank you for sharing. The {a} part sounds very familiar, and so does the {b}.",
    "Small things add up: {a} before noon, {b} after lunch.",
    "At my last appointment the neurologist asked about {a}, not {b}.",
    "The physio gave me stretches for the {a}; they help with the {b} too.",
    "A cooling towel on the back of my neck makes the {a} bearable.",
    "Cramp and spasticity in my legs are worst in the evening, after {a}.",
    "I write down every {a} in my diary so the {b} conversation is easier.",
    "Some weeks the fatigue wins, and I let the {a} wait.",
    "_Tip:_ plan the {a} for the morning and keep the afternoon for {b}.",
)


@dataclass
class BulkResult:
    threads: int
    posts: int


@dataclass
class _Body:
    source: str
    html: str
    plain: str  # what the search index holds for it


def _sentence(rng: random.Random) -> str:
    return rng.choice(PHRASES).format(a=rng.choice(WORDS), b=rng.choice(WORDS))


def _body(rng: random.Random) -> str:
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
                  for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        paragraphs.append("\n".join(f"- **{rng.choice(WORDS)}**: {_sentence(rng)}"
                                    for _ in range(3)))
    if rng.random() < 0.1:
        paragraphs.append(f"> {_sentence(rng)}")
    return "\n\n".join(paragraphs)


def body_pool(seed: int, size: int = POOL) -> list[_Body]:
    """`size` distinct bodies, each rendered once as the services would render it."""
    rng = random.Random(seed)  # noqa: S311 (filler text, not secrets)
    sources: dict[str, None] = {}
    while len(sources) < size:
        sources[text.normalise(_body(rng))] = None
    pool = []
    for source in sources:
        html = str(text.render(source))
        pool.append(_Body(source, html, text.plain(html)))
    return pool


def _accounts() -> tuple[list[User], User]:
    """The bulk accounts, made on the first load: the expert through `create_user` (its
    verification is the services' business), the members with the same password hash,
    so the slow hash runs once."""
    names = [f"bulk_member_{n:02d}" for n in range(1, MEMBERS + 1)]
    found = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([*names, EXPERT])))}
    expert = found.get(EXPERT) or create_user(
        EXPERT, f"{EXPERT}@example.org", BULK_PASSWORD, AccountRole.EXPERT,
        established=True, confirmed=True)
    now = utcnow()
    for name in names:
        if name not in found:
            found[name] = User(username=name, email=f"{name}@example.org",
                               password_hash=expert.password_hash, role=Role.MEMBER.value,
                               confirmed_at=now, established_at=now)
            db.session.add(found[name])
    db.session.commit()
    return [found[name] for name in names], expert


def _category(slug: str, name: str, position: int) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(slug=slug, name=name, position=100 + position,
                            description="Synthetic threads for benchmarks.")
        db.session.add(category)
        db.session.commit()
    return category


def _tag_ids() -> dict[str, int]:
    db.session.execute(insert_on_conflict(Tag).values([{"name": name} for name in TAGS])
                       .on_conflict_do_nothing(index_elements=[Tag.name]))
    db.session.commit()
    return dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(TAGS))).all())


@dataclass
class _Thread:
    """A thread being written: what its rows need, and who watches it so far."""

    number: int
    posts: int
    starts_at: datetime
    title: str
    article: bool
    author_id: int
    category_id: int
    tags: list[str]
    summary: str = ""
    id: int | None = None
    written: int = 0
    watchers: set[int] = field(default_factory=set)


def _pieces(threads: Iterator[_Thread], batch: int) -> Iterator[list[tuple[_Thread, int]]]:
    """(thread, how many of its posts) lists of about `batch` posts: short threads are
    grouped, a long one is split over several batches."""
    piece, size = [], 0
    for thread in threads:
        left = thread.posts
        while left:
            take = min(left, batch - size)
            piece.append((thread, take))
            size += take
            left -= take
            if size == batch:
                yield piece
                piece, size = [], 0
    if piece:
        yield piece


def load(threads: int, posts: int, progress: Callable[[int], None] = lambda n: None,
         seed: int = 1, batch: int = BATCH) -> BulkResult:
    """Add `threads` threads of `posts` posts each (the opening post included).

    Reuses the bulk accounts, categories and tags a previous load made, so loads add
    up: one call for many short threads, another for one long thread. One transaction
    per batch of posts; `progress` is called with the number of posts written since
    its last call.
    """
    members, expert = _accounts()
    categories = [_category(slug, name, n) for n, (slug, name) in enumerate(CATEGORIES)]
    tag_ids = _tag_ids()
    done = db.session.scalar(select(func.count(Thread.id)).where(
        Thread.category_id.in_([c.id for c in categories])))
    pool = body_pool(seed)
    rng = random.Random(seed + done)  # noqa: S311 (filler text, not secrets)
    member_ids = [m.id for m in members]
    review_interval = timedelta(days=current_app.config["REVIEW_INTERVAL_DAYS"])
    # Oldest first, a minute between posts, ending now: the newest thread is the most active.
    start = utcnow() - timedelta(minutes=threads * posts)

    def planned() -> Iterator[_Thread]:
        for k, n in enumerate(range(done + 1, done + threads + 1)):
            article = n % ARTICLE_EVERY == 0
            yield _Thread(
                number=n, posts=posts, starts_at=start + timedelta(minutes=k * posts),
                title=text.normalise(f"Bulk thread {n}: {rng.choice(TOPICS)}").strip(),
                article=article,
                author_id=expert.id if article else rng.choice(member_ids),
                category_id=(categories[0] if article
                             else categories[1 + n % (len(categories) - 1)]).id,
                tags=rng.sample(TAGS, rng.randint(1, 2)),
                summary=_sentence(rng) if article else "",
            )

    for piece in _pieces(planned(), batch):
        _write(piece, pool, rng, member_ids, tag_ids, expert.id, review_interval)
        db.session.commit()
        progress(sum(count for _, count in piece))
    if db.session.get_bind().dialect.name == "postgresql":
        # Statistics for the data just loaded, as autovacuum would gather a while later:
        # a benchmark run straight after the load is planned for the rows it reads.
        db.session.execute(sql("ANALYZE threads, posts, search_posts, thread_watches"))
        db.session.commit()
    db.session.expire_all()
    return BulkResult(threads=threads, posts=threads * posts)


def _write(piece: list[tuple[_Thread, int]], pool: list[_Body], rng: random.Random,
           member_ids: list[int], tag_ids: dict[str, int], expert_id: int,
           review_interval: timedelta) -> None:
    """One batch: the threads that start in it, their posts, index rows and watches,
    then the derived columns of every thread it touched (no commit)."""
    connection = db.session.connection()
    new = [thread for thread, _ in piece if thread.id is None]
    if new:
        _insert_threads(connection, new, tag_ids, expert_id, review_interval)
    post_rows, index_rows, watch_rows = [], [], []
    for thread, count in piece:
        for number in range(thread.written + 1, thread.written + count + 1):
            opening = number == 1
            author_id = thread.author_id if opening else rng.choice(member_ids)
            body = rng.choice(pool)
            post_rows.append({
                "thread_id": thread.id, "author_id": author_id, "is_opening": opening,
                "position": number, "body_source": body.source, "body_html": body.html,
                "created_at": thread.starts_at + timedelta(minutes=number - 1),
            })
            index_rows.append((thread.title if opening else "", body.plain))
            if author_id not in thread.watchers:
                thread.watchers.add(author_id)
                watch_rows.append({"user_id": author_id, "thread_id": thread.id,
                                   "level": WatchLevel.WATCHING.value,
                                   "created_at": post_rows[-1]["created_at"]})
        thread.written += count
    # Rows come back in no promised order (asking for one makes SQLite insert row by
    # row); a post is known by its thread and position.
    post_ids = {(thread_id, position): post_id for post_id, thread_id, position in
                connection.execute(insert(Post).returning(Post.id, Post.thread_id,
                                                          Post.position), post_rows)}
    # The index's own tables (forum.domain.search): FTS5 keys a row by rowid, the
    # tsvector table by post_id; either way the index holds what `index_post` writes.
    key = search.FTS5.c.rowid if connection.dialect.name == "sqlite" else search.TSVECTOR.c.post_id
    connection.execute(insert(key.table), [
        {key.name: post_ids[row["thread_id"], row["position"]], "title": title, "body": body}
        for row, (title, body) in zip(post_rows, index_rows, strict=True)])
    if watch_rows:
        connection.execute(insert(ThreadWatch), watch_rows)
    # The counters by their one definition, from the rows just written. The range lets
    # Postgres find the batch's threads by the primary key: `id = ANY(...)` alone was
    # planned as a scan comparing every thread with every id, a cost that grew with
    # each batch.
    ids = [thread.id for thread, _ in piece]
    connection.execute(update(Thread).where(Thread.id.between(min(ids), max(ids)),
                                            Thread.id.in_(ids))
                       .values(**visibility.derived_values()))


def _insert_threads(connection, new: list[_Thread], tag_ids: dict[str, int], expert_id: int,
                    review_interval: timedelta) -> None:
    rows = []
    for thread in new:
        at = thread.starts_at
        rows.append({
            "kind": (ThreadKind.ARTICLE if thread.article else ThreadKind.DISCUSSION).value,
            "category_id": thread.category_id, "author_id": thread.author_id,
            "title": thread.title, "slug": slugify(thread.title), "summary": thread.summary,
            "disclosure": "No conflicts to declare (synthetic article)." if thread.article
            else "",
            "created_at": at, "last_activity_at": at, "reply_count": 0,
            "reviewed_at": at if thread.article else None,
            "review_due_at": at + review_interval if thread.article else None,
        })
    # Known by title ("Bulk thread <number>: …" is unique), in whatever order they return.
    ids = {title: thread_id for thread_id, title in
           connection.execute(insert(Thread).returning(Thread.id, Thread.title), rows)}
    for thread in new:
        thread.id = ids[thread.title]
    connection.execute(insert(thread_tags), [
        {"thread_id": thread.id, "tag_id": tag_ids[name]}
        for thread in new for name in thread.tags])
    articles = [thread for thread in new if thread.article]
    if articles:
        connection.execute(insert(Reference), [{
            "thread_id": thread.id, "position": 0,
            "citation": f"Synthetic reference {thread.number}. J Bench. 2024.",
            "doi": f"10.5555/bench.{thread.number}", "pmid": None,
        } for thread in articles])
        # Publishing is the first review when a verified expert writes the article.
        connection.execute(insert(ArticleReview), [{
            "thread_id": thread.id, "reviewer_id": expert_id, "reviewed_at": thread.starts_at,
            "due_at": thread.starts_at + review_interval, "note": "",
        } for thread in articles])
