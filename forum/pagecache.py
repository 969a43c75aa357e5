"""The anonymous page cache's support layer: where pages are kept (Redis when REDIS_URL
is set, else an in-process LRU bounded in bytes), and the counters that say whether a
kept page still stands.

Every page is tagged `site` plus `thread:<id>` (a thread's pages) or `lists` (every
other page). A tag's counter lives in `page_versions` and is raised in the same
transaction as the change (the session events below), so every process sharing the
database agrees. A kept page carries the counters read before it was made and is
served only while they all still stand; anything that goes wrong reads as a miss.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from hashlib import sha256

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import bindparam, event, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import TextClause

from .extensions import db
from .models import (
    ArticleReview,
    Bookmark,
    CategoryWatch,
    Draft,
    Flag,
    HelpfulMark,
    MemberIgnore,
    MemberMute,
    ModerationEvent,
    Notification,
    OutboxMessage,
    PageVersion,
    Post,
    PostRevision,
    RecoveryCode,
    Reference,
    SafetyAlert,
    TagWatch,
    Thread,
    ThreadRead,
    ThreadWatch,
    User,
    UserSession,
)

log = logging.getLogger("forum.pagecache")

SITE, LISTS = "site", "lists"

# What no public page shows: writing these raises no counter.
IGNORED = (UserSession, Notification, OutboxMessage, ThreadRead, Draft, Bookmark, ThreadWatch,
           CategoryWatch, TagWatch, MemberMute, MemberIgnore, ModerationEvent, SafetyAlert, Flag,
           RecoveryCode, PageVersion)
IGNORED_TABLES = frozenset(model.__tablename__ for model in IGNORED)
# A member's columns no page shows (the rest, and any column added later, raise `site`).
PRIVATE_USER_COLUMNS = frozenset({
    "email", "password_hash", "text_size", "high_contrast", "energy_saver", "locale",
    "timezone", "totp_secret", "totp_enabled_at", "totp_last_step", "sign_in_link_used_at",
    "email_notifications", "quiet_from", "quiet_until", "last_seen_at", "last_digest_at",
    "confirmed_at",
})
_WRITES = re.compile(r"^\s*(?:WITH\b.*?\)\s*)?(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\b",
                     re.IGNORECASE | re.DOTALL)
_TABLES = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+[\"`]?(\w+)", re.IGNORECASE)


def thread_tag(thread_id) -> str:
    return f"thread:{thread_id}"


OPTION = "page_cache_tags"


def in_thread(thread_id) -> dict:
    """Execution options for a bulk statement that changes only what one thread's pages
    and the lists show (the thread's counters, its posts' positions, their index rows):
    `statement.execution_options(**pagecache.in_thread(thread.id))` raises `lists` and
    that thread's counter instead of `site`. A bulk statement without them raises `site`."""
    return {OPTION: frozenset({LISTS, thread_tag(thread_id)})}


# --- counters ----------------------------------------------------------------------------

_READ = select(PageVersion.tag, PageVersion.version).where(
    PageVersion.tag.in_(bindparam("tags", expanding=True)))
# A new counter starts at the time in microseconds rather than 1, so a database emptied
# (or replaced) under a running cache never meets a page kept for its predecessor.
_RAISE = text("INSERT INTO page_versions (tag, version) VALUES (:tag, :start) "
              "ON CONFLICT (tag) DO UPDATE SET version = page_versions.version + 1")


@lru_cache(maxsize=16)
def _read_sql(dialect, count: int) -> str:
    """`_READ` for `count` tags as the driver's own SQL, compiled once: a hit skips
    SQLAlchemy's compiler (the statement still goes through the engine, so it is
    counted and logged like any other)."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    return (f"SELECT tag, version FROM {PageVersion.__tablename__} "  # noqa: S608 (no input)
            f"WHERE tag IN ({', '.join([mark] * count)})")


def versions(tags) -> dict[str, int]:
    """The counters for `tags` (a missing row is 0), in one SELECT on a connection of its
    own: a hit then never opens the ORM session. Read before a page is made, so a page
    is kept under counters no newer than what it shows."""
    with db.engine.connect() as connection:
        found = dict(connection.exec_driver_sql(_read_sql(connection.dialect, len(tags)),
                                                tuple(tags)).all())
    return {tag: int(found.get(tag, 0)) for tag in tags}


def versions_or_none(tags) -> dict[str, int] | None:
    """`versions`, or None when the database cannot say (the page is then not kept)."""
    try:
        return versions(tags)
    except Exception:
        log.warning("page versions not read", exc_info=True)
        return None


def _pending(session) -> set:
    return session.info.setdefault("page_cache_tags", set())


def _thread_of_post(session, post_id) -> int | None:
    post = session.identity_map.get(session.identity_key(Post, post_id)) if post_id else None
    if post is not None:
        return post.thread_id
    with session.no_autoflush:
        return session.scalar(select(Post.thread_id).where(Post.id == post_id))


def _values(obj, name) -> set:
    """An attribute's value now and before this flush (a moved post has two threads)."""
    history = inspect(obj).attrs[name].history
    return {value for value in (*history.added, *history.unchanged, *history.deleted)
            if value is not None}


def _changed(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def tags_for(session, obj, deleted=False) -> set[str]:
    """What changing `obj` changes on public pages."""
    if isinstance(obj, IGNORED):
        return set()
    if isinstance(obj, Post):
        threads = {obj.thread_id} if deleted else _values(obj, "thread_id")
        return {LISTS, *map(thread_tag, threads)}
    if isinstance(obj, Thread):
        tags = {LISTS, thread_tag(obj.id)}
        if not deleted and "tags" in _changed(obj):  # thread_tags rows: the tag pages
            tags.add(SITE)
        return tags
    if isinstance(obj, Reference | ArticleReview):
        return {thread_tag(obj.thread_id)}
    if isinstance(obj, HelpfulMark | PostRevision):
        thread_id = _thread_of_post(session, obj.post_id)
        return {thread_tag(thread_id)} if thread_id else {SITE}
    if isinstance(obj, User) and not deleted and not (_changed(obj) - PRIVATE_USER_COLUMNS):
        return set()
    return {SITE}  # a member's shown columns, settings, categories, labels, anything else


def _before_flush(session, _context, _instances):
    # Deleted objects are read before the flush, while their columns can still load.
    for obj in session.deleted:
        _pending(session).update(tags_for(session, obj, deleted=True))


def _after_flush(session, _context):
    # New and changed objects after it: ids are assigned, the history still holds.
    pending = _pending(session)
    for obj in session.new:
        pending.update(tags_for(session, obj))
    for obj in session.dirty:
        if session.is_modified(obj):
            pending.update(tags_for(session, obj))


def _on_execute(state):
    """Bulk and raw writes through the session: `site` when they change a row, unless
    they write only tables (or a member's columns) no page shows."""
    statement = state.statement
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(statement, "table", None), "name", None)
        if table in IGNORED_TABLES or (state.is_update and table == User.__tablename__
                                       and _set_columns(statement) <= PRIVATE_USER_COLUMNS):
            return None
    elif not (isinstance(statement, TextClause) and _WRITES.match(statement.text)
              and (set(_TABLES.findall(statement.text)) or {"?"}) - IGNORED_TABLES):
        return None
    result = state.invoke_statement()
    if getattr(result, "rowcount", -1) != 0:  # a write that matched nothing changed nothing
        _pending(state.session).update(state.execution_options.get(OPTION) or {SITE})
    return result


def _set_columns(statement) -> set[str]:
    """The columns an UPDATE sets ({"?"} when it cannot tell: counted as shown)."""
    values = getattr(statement, "_values", None) or dict(
        getattr(statement, "_ordered_values", None) or ())
    return {getattr(column, "key", str(column)) for column in values} or {"?"}


def _before_commit(session):
    session.flush()  # what is still pending is flushed after this hook: collect it now
    tags = session.info.pop("page_cache_tags", None)
    if tags:
        start = time.time_ns() // 1000
        try:
            # In a savepoint: a database behind its migrations (no page_versions yet, as
            # while a data fix runs at an old revision) keeps the transaction's own
            # writes; no page can have been kept against a table that is not there.
            connection = session.connection()
            with connection.begin_nested():
                # Sorted: two transactions raising the same counters lock them in one
                # order.
                connection.execute(_RAISE, [{"tag": tag, "start": start}
                                            for tag in sorted(tags)])
        except DBAPIError as error:
            if PageVersion.__tablename__ not in str(error.orig) or not any(
                    words in str(error.orig) for words in ("no such table", "does not exist")):
                raise
            log.warning("no page counter raised: the database has no %s table yet",
                        PageVersion.__tablename__)
        session.info.pop("page_cache_tags", None)


def _after_rollback(session, transaction):
    # The whole transaction is gone: so are its changes. (A savepoint rolled back keeps
    # what it collected: raising a counter too often is only a miss.)
    if transaction.parent is None:
        session.info.pop("page_cache_tags", None)


def listen() -> None:
    """Raise the counters for every session of every app (once per process)."""
    if event.contains(Session, "before_commit", _before_commit):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)


# --- stores -----------------------------------------------------------------------------

class MemoryStore:
    """An LRU kept in this process, bounded by the bytes of the pages it holds."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return found[1]

    def set(self, key: str, value: bytes, seconds: int) -> None:
        if len(value) > self.limit:
            return
        with self.lock:
            self._drop(key)
            self.entries[key] = (time.monotonic() + seconds, value)
            self.size += len(value)
            while self.size > self.limit:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        found = self.entries.pop(key, None)
        if found is not None:
            self.size -= len(found[1])

    def values(self):
        with self.lock:
            return [value for _expires, value in self.entries.values()]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


class RedisStore:
    """Pages in Redis, shared by every process; each expires on its own."""

    PREFIX = "forum:page:"

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        return self.client.get(self.PREFIX + key)

    def set(self, key: str, value: bytes, seconds: int) -> None:
        self.client.set(self.PREFIX + key, value, ex=seconds)

    def values(self):
        return [self.client.get(key) for key in self.client.scan_iter(self.PREFIX + "*")]

    def clear(self) -> None:
        for key in self.client.scan_iter(self.PREFIX + "*"):
            self.client.delete(key)


def store():
    """This app's store (made once), or None with PAGE_CACHE off."""
    app = current_app
    if not app.config.get("PAGE_CACHE"):
        return None
    found = app.extensions.get("page_cache")
    if found is None:
        url = app.config.get("REDIS_URL")
        found = RedisStore(url) if url else MemoryStore(int(app.config["PAGE_CACHE_BYTES"]))
        app.extensions["page_cache"] = found
    return found


# --- entries ----------------------------------------------------------------------------

def key_of(parts) -> str:
    return sha256("\x1f".join(parts).encode()).hexdigest()


def get(key: str, tags, read: dict | None = None) -> tuple[dict, bytes] | None:
    """The kept page for `key` while every counter it was made under still stands. The
    counters, when they were read for a page that no longer stands, are put in `read`
    (the page made instead is kept under them: one SELECT either way)."""
    kept = store()
    if kept is None:
        return None
    try:
        raw = kept.get(key)
        if raw is None:
            return None
        head, body = raw.split(b"\n", 1)
        meta = json.loads(head)
        current = versions(tags)
        if meta["versions"] != current:
            if read is not None:
                read.update(current)
            return None
        return meta, body
    except Exception:  # any store or database trouble: a miss, never a wrong page
        log.warning("page cache read failed", exc_info=True)
        return None


def put(key: str, meta: dict, body: bytes) -> None:
    kept = store()
    if kept is None:
        return
    try:
        kept.set(key, json.dumps(meta).encode() + b"\n" + body,
                 int(current_app.config["PAGE_CACHE_SECONDS"]))
    except Exception:
        log.warning("page cache write failed", exc_info=True)
