"""Several app processes, one Postgres and one Redis (docs/deploy.md): what one process
counts, caches or raises holds in the other. Two gunicorn servers on their own ports,
as two hosts behind nginx would be, share the test database and a Redis database of
their own; each check acts through one and looks through the other."""

import os
import uuid

import pytest

from forum.extensions import db
from tests.factories import PASSWORD, make_category, make_discussion, make_user
from tests.live import HttpClient, LiveServer, app_environment, in_ci

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="runs when TEST_DATABASE_URL names a Postgres database (processes on "
           "several hosts share Postgres, not a SQLite file)")


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as error:
        if in_ci():
            pytest.fail(f"Redis at {REDIS_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer: {error}")
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def two_servers(app, database_url, redis_url, tmp_path):
    """Two app processes sharing the database and Redis, with rate limits on (a small
    reply budget, so a test reaches it)."""
    env = {**app_environment(database_url), "REDIS_URL": redis_url,
           "RATELIMIT_ENABLED": "true", "RATELIMIT_POST": "3 per minute",
           "SECRET_KEY": "test-secret-key"}
    with LiveServer(env, tmp_path / "one.log", workers=1,
                    options=("--log-level", "warning")) as one, \
            LiveServer(env, tmp_path / "two.log", workers=1,
                       options=("--log-level", "warning")) as two:
        yield one, two
    for live in (one, two):
        assert "Traceback" not in live.log(), live.log()[-3000:]


def _signed_in(live, username):
    client = HttpClient(live.base)
    client.login(username, PASSWORD)
    return client


def _reply(client, thread, body):
    client.token(f"/t/{thread.id}")
    return client.request(f"/t/{thread.id}/reply", {"csrf_token": client.csrf, "body": body})


def _people():
    starter = make_user(f"starter_{uuid.uuid4().hex[:8]}")
    replier = make_user(f"replier_{uuid.uuid4().hex[:8]}")
    thread = make_discussion(starter, make_category(slug=f"c-{uuid.uuid4().hex[:8]}"),
                             title="Cooling vests in a heatwave")
    db.session.commit()
    return starter, replier, thread


def test_a_rate_limit_counts_across_both_processes(two_servers):
    one, two = two_servers
    _, replier, thread = _people()
    via_one, via_two = _signed_in(one, replier.username), _signed_in(two, replier.username)
    answers = [_reply(via_one, thread, "First, through one.").status,
               _reply(via_two, thread, "Second, through two.").status,
               _reply(via_one, thread, "Third, through one.").status]
    assert answers == [302, 302, 302]
    # The budget is three a minute in all: the fourth is refused whichever process gets it.
    assert _reply(via_two, thread, "Fourth, through two.").status == 429
    assert _reply(via_one, thread, "Fifth, through one.").status == 429


def test_a_page_cached_by_one_process_is_invalidated_by_a_reply_through_the_other(two_servers):
    one, two = two_servers
    _, replier, thread = _people()
    visitor = HttpClient(one.base)
    first = visitor.request(f"/t/{thread.id}")
    again = visitor.request(f"/t/{thread.id}")
    assert first.status == again.status == 200
    assert again.headers.get("X-Page-Cache") == "hit", "the second visit is the cached page"
    assert _reply(_signed_in(two, replier.username), thread,
                  "Through the second process: a damp towel helps too.").status == 302
    after = visitor.request(f"/t/{thread.id}")
    assert "a damp towel helps too" in after.body
    # And the second process, which never cached it, shows the same.
    assert "a damp towel helps too" in HttpClient(two.base).request(f"/t/{thread.id}").body


def test_a_notification_raised_through_one_process_is_read_through_the_other(two_servers):
    one, two = two_servers
    starter, replier, thread = _people()
    assert _reply(_signed_in(two, replier.username), thread,
                  "Replying through the second process.").status == 302
    reader = _signed_in(one, starter.username)
    page = reader.request("/").body
    assert 'aria-label="Notifications: 1 unread"' in page, "the bell counts the new reply"
    listed = reader.request("/notifications").body
    assert "Cooling vests in a heatwave" in listed and listed.count("is-unread") == 1
    # Marking it read through one process clears it for the other.
    reader.token("/notifications")
    assert reader.request("/notifications/read-all", {"csrf_token": reader.csrf}).status == 302
    other = _signed_in(two, starter.username)
    assert 'aria-label="Notifications: 0 unread"' in other.request("/").body
    assert "is-unread" not in other.request("/notifications").body
