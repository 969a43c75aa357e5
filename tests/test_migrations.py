"""`flask db upgrade` on an empty database yields exactly the models' schema."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

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
    assert "search_posts_thread_ids" in names  # search within a thread: its posts' ids
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


# -- data migrations ---------------------------------------------------------------

BEFORE_EXPERT_FROM_VERIFICATION = "af7a04761aab"


def _insert_user(conn, username, role, created_at="2026-01-02 03:04:05"):
    return conn.execute(text(
        "INSERT INTO users (username, email, role, display_name, bio, credentials, "
        "affiliation, conflicts, created_at) VALUES (:username, :email, :role, '', '', "
        "'MS nurse', 'City Hospital', '', :created_at) RETURNING id"),
        {"username": username, "email": f"{username}@example.org", "role": role,
         "created_at": created_at}).scalar_one()


def _expert_becomes_verified_member(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade(revision=BEFORE_EXPERT_FROM_VERIFICATION)
        with db.engine.begin() as conn:
            unverified = _insert_user(conn, "old_expert", "expert")
            verified = _insert_user(conn, "checked_expert", "expert")
            moderator = _insert_user(conn, "mod_kim", "moderator")
            conn.execute(text(
                "INSERT INTO expert_verifications (user_id, status, credentials, affiliation, "
                "register_name, register_number, evidence_url, requested_at, decision_reason, "
                "checked_register, checked_number, checked_link) VALUES (:id, 'approved', "
                "'Neurologist', 'Clinic', 'GMC', '123', '', '2026-02-03 00:00:00', 'checked', "
                "TRUE, TRUE, FALSE)"), {"id": verified})
            conn.execute(text("INSERT INTO user_sessions (key, user_id, created_at, user_agent) "
                              "VALUES ('k1', :id, '2026-03-04 00:00:00', '')"), {"id": unverified})

        upgrade()
        with db.engine.begin() as conn:
            roles = dict(conn.execute(text("SELECT id, role FROM users")).all())
            approved = conn.execute(text(
                "SELECT user_id, credentials, affiliation, decision_reason FROM "
                "expert_verifications WHERE status = 'approved' ORDER BY user_id")).all()
            sessions = conn.execute(text("SELECT count(*) FROM user_sessions")).scalar()
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            _insert_user(conn, "new_expert", "expert")

        downgrade(revision=BEFORE_EXPERT_FROM_VERIFICATION)
        with db.engine.begin() as conn:
            roles_after_downgrade = dict(conn.execute(text("SELECT id, role FROM users")).all())
        downgrade(revision="base")
        db.engine.dispose()

    assert roles == {unverified: "member", verified: "member", moderator: "moderator"}
    # The one without a verification gets the one `users create --role expert` makes;
    # the checked one keeps its own, and gets no second.
    assert approved == [
        (unverified, "MS nurse", "City Hospital", "Created as an expert by an operator."),
        (verified, "Neurologist", "Clinic", "checked"),
    ]
    assert sessions == 1, "the users table was rebuilt, and its rows' sessions cascaded away"
    assert roles_after_downgrade == {unverified: "expert", verified: "expert",
                                     moderator: "moderator"}


def test_sqlite_expert_role_becomes_a_verified_member(tmp_path):
    _expert_becomes_verified_member(f"sqlite:///{tmp_path / 'experts.db'}")


def test_postgres_expert_role_becomes_a_verified_member(empty_postgres):
    _expert_becomes_verified_member(empty_postgres)
