"""DATABASE_REPLICA_URL (docs/deploy.md): search and the public feeds read from the
replica; every other page, and every write, from the primary. Here the "replica" is a
second engine on the test database, so the statements each engine runs can be counted."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from forum import create_app
from forum.extensions import db
from tests.conftest import RequestClient
from tests.factories import make_category, make_discussion


@pytest.fixture
def replicated(app, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_REPLICA_URL", database_url)
    replicated = create_app({"TESTING": True, "RATELIMIT_ENABLED": False})
    replicated.test_client_class = RequestClient
    yield replicated
    replicated.extensions["read_replica"].dispose()


@contextmanager
def counted(app):
    """Statements run on each engine while the block runs."""
    counts = {"primary": 0, "replica": 0}
    with app.app_context():
        engines = {"primary": db.engine, "replica": app.extensions["read_replica"]}

    def counter(name):
        def count(*args):
            counts[name] += 1
        return count

    listeners = [(engine, counter(name)) for name, engine in engines.items()]
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield counts
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)


def test_search_and_public_feeds_read_the_replica(replicated, member):
    thread = make_discussion(member, make_category(), title="Cooling vests",
                             body="A cooling vest helps my fatigue.", tags=["heat"])
    client = replicated.test_client()
    for path in ("/search?q=cooling", f"/t/{thread.id}/search?q=cooling", "/feed.atom",
                 "/tag/heat/feed.atom"):
        with counted(replicated) as counts:
            response = client.get(path)
        assert response.status_code == 200, path
        assert counts["replica"] > 0, path
    assert "Cooling vests" in client.get("/search?q=cooling").get_data(as_text=True)


def test_other_pages_and_writes_stay_on_the_primary(replicated, member):
    thread = make_discussion(member, make_category())
    client = replicated.test_client()
    for path in ("/", f"/t/{thread.id}", "/c/living-with-ms", f"/u/{member.username}"):
        with counted(replicated) as counts:
            assert client.get(path).status_code == 200, path
        assert counts == {"primary": counts["primary"], "replica": 0}, path


def test_without_a_replica_everything_reads_the_primary(app, client, member):
    make_discussion(member, make_category(), title="Cooling vests")
    assert "read_replica" not in app.extensions
    assert "Cooling vests" in client.get("/search?q=cooling").get_data(as_text=True)
