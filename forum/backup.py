"""Consistent online copies of the database, and restoring them.

SQLite: the backup API copies pages under a read transaction, so the copy is
consistent while the forum keeps serving. Postgres: pg_dump takes a snapshot;
pg_restore --clean brings it back. Both need the same schema revision.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from .extensions import db


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


def _sqlite_path() -> str:
    return db.engine.url.database


def _libpq_url() -> str:
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create(path: Path) -> None:
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name.")
    if db.engine.dialect.name == "sqlite":
        _sqlite_copy(_sqlite_path(), path)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", _libpq_url()])


def restore(path: Path) -> None:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a backup file.")
    db.session.remove()
    db.engine.dispose()
    if db.engine.dialect.name == "sqlite":
        _sqlite_copy(path, _sqlite_path())
        return
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url()}", str(path)])


def _sqlite_copy(source_path, target_path) -> None:
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools).")
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")

