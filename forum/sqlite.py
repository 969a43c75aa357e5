"""SQLite as a production database: WAL, a busy timeout, foreign keys, write
transactions that take the lock up front, and a file made read-only while the
forum runs answered with 503s rather than errors at a checkpoint."""

import os

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError


def tune(engine) -> None:
    database = engine.url.database or ""
    # A plain file path; in-memory databases and `file:` URIs are left alone.
    path = database if database and database != ":memory:" and not database.startswith(
        "file:") else None

    def writable() -> bool:
        # The operator may make the file read-only (chmod, chattr +i) while the forum
        # runs. Connections opened before that would go on writing into the WAL and
        # fail later at a checkpoint; connections opened after it are read-only for
        # good. Asking the file itself (one access() call per transaction) makes every
        # worker refuse writes at once, and write again once the file is writable.
        return path is None or os.access(path, os.W_OK)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        # SQLAlchemy emits BEGIN itself (below), so a write can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        # WAL lets readers go on while one writer writes; the busy timeout makes
        # a second writer wait instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite silently opens an unwritable file read-only, and it stays so.
        record.info["opened_read_only"] = not writable()

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection, record, _proxy):
        if record.info.get("opened_read_only") and writable():
            raise DisconnectionError("the file is writable again; reconnecting")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A form post may write, so it takes the write lock at BEGIN IMMEDIATE and
        # waits its turn there (busy_timeout), rather than reading first and failing
        # with "database is locked" when it writes. Page views only read: a deferred
        # BEGIN reads a snapshot and never blocks. Commands run alone, also deferred.
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        # An unwritable file: reads go on, and the first write fails ("attempt to
        # write a readonly database", a 503 with the text kept) after the member has
        # been loaded, so the page still knows who they are.
        read_only = not writable()
        if connection.info.get("query_only", False) != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            connection.info["query_only"] = read_only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing and not read_only else "BEGIN")
