"""Row locks for writes that must not race: a reply against a lock, two moderators.

`lock_for_update(obj)` re-reads a row under a lock that serialises the caller's
transaction with every other writer of it, so the caller decides on the row's
current state. Postgres locks the row (SELECT … FOR UPDATE). SQLite has one
database-wide write lock, which every writing transaction already holds from
its BEGIN IMMEDIATE (see `_tune_sqlite` in forum/__init__.py), so there a
re-read is enough.

`insert_on_conflict(model)` is an INSERT that can say ON CONFLICT DO NOTHING / DO
UPDATE on either database: one statement where two writers could otherwise race a
read-then-write.
"""

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def lock_for_update(obj):
    if db.session.get_bind().dialect.name != "sqlite":
        # Lock the bare row: FOR UPDATE cannot cover the outer joins of eager loads.
        model = type(obj)
        db.session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    db.session.refresh(obj)
    return obj


def insert_on_conflict(model):
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)
