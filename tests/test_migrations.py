"""`flask db upgrade` on an empty database yields exactly the models' schema."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forum import create_app, schema
from forum.extensions import db

# SQLite cannot reflect expression indexes; _assert_matches checks those by name.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
)


def _schema_diff(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": schema.include_object}
            )
            diff = compare_metadata(context, db.metadata)
            names = _index_names(conn) | _user_tables(conn)
        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = _user_tables(conn)
        db.engine.dispose()
    return diff, names, left


def _index_names(conn):
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    else:
        rows = conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
    return {row[0] for row in rows}


def _user_tables(conn):
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    else:
        rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    return {row[0] for row in rows} - {"alembic_version"}


def _assert_matches(diff, names, left):
    assert diff == []
    # Autogenerate cannot compare SQLite's expression indexes, so check them by name.
    assert {"uq_users_username_lower", "uq_users_email_lower"} <= names
    assert "search_posts" in names  # the search index, which the models do not describe
    assert left == set()


def test_sqlite_upgrade_matches_models(tmp_path):
    _assert_matches(*_schema_diff(f"sqlite:///{tmp_path / 'migrated.db'}"))


@pytest.fixture
def empty_postgres():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        pytest.skip("runs when TEST_DATABASE_URL names a Postgres database")
    name = f"forum_migrations_{uuid.uuid4().hex[:10]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def test_postgres_upgrade_matches_models(empty_postgres):
    _assert_matches(*_schema_diff(empty_postgres))
