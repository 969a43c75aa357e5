"""SQL statements per page are the same whatever the data size and the page asked for
(issue #15): a page never counts or skips through a whole thread or category.

Each page type is requested on small data and on larger data in the same database (a
3-post thread and a 250-post one, a category of 5 threads and one of 60, ...), first
page and last, through the test client, and the statements the request sends are
counted with an engine event."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Post, utcnow
from tests.conftest import Browser
from tests.factories import make_article, make_category, make_discussion, make_user

LONG = 250  # posts in the long thread: 50 pages of 5 (POSTS_PER_PAGE in tests)


@pytest.fixture(autouse=True)
def _pages_made(app, monkeypatch):
    """Each page made afresh: these counts are what making a page costs. A kept page
    costs one statement whatever it is (tests/test_page_cache.py)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(client, path):
    """How many statements a GET of `path` sends (the page must be there)."""
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


def same_for_all(client, paths):
    counts = {path: statements_for(client, path) for path in paths}
    # Asked twice: a first request may load what later ones find cached (settings).
    counts = {path: statements_for(client, path) for path in paths}
    assert len(set(counts.values())) == 1, counts


def long_thread(author, category, posts=LONG, title="A long conversation about fatigue"):
    thread = make_discussion(author, category, title=title, body="Where it starts.",
                             minutes_ago=posts + 10)
    start = utcnow() - timedelta(minutes=posts + 5)
    for n in range(posts - 1):
        add_reply(thread, author, f"Reply number {n + 1} about fatigue",
                  at=start + timedelta(seconds=n + 1))
    db.session.commit()
    return thread


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def threads(member, other_member, category):
    """A short thread and a long one, in one category."""
    short = make_discussion(member, category, title="A short one about fatigue",
                            body="Fatigue again.", replies=2, repliers=[other_member])
    return short, long_thread(member, category)


def test_thread_pages_cost_the_same_short_or_long_first_or_last(client, threads):
    short, long = threads
    last = (LONG + 4) // 5
    same_for_all(client, [f"/t/{short.id}/{short.slug}", f"/t/{long.id}/{long.slug}",
                          f"/t/{long.id}/{long.slug}?page={last}",
                          f"/t/{long.id}/{long.slug}?page=25"])


def test_thread_pages_signed_in_cost_the_same(app, threads):
    # A reader who did not start the threads: the author of an opening post is asked,
    # on page 1 only, whether others replied (may they still delete it).
    reader = make_user("reader")
    db.session.commit()
    browser = Browser(app.test_client())
    browser.login(reader.username)
    short, long = threads
    last = (LONG + 4) // 5
    same_for_all(browser, [f"/t/{short.id}/{short.slug}", f"/t/{long.id}/{long.slug}",
                                  f"/t/{long.id}/{long.slug}?page={last}"])


def test_top_posts_and_permalinks_cost_the_same(client, threads):
    short, long = threads
    posts = db.session.scalars(select(Post).where(Post.thread_id == long.id)
                               .order_by(Post.id)).all()
    same_for_all(client, [f"/t/{short.id}/top", f"/t/{long.id}/top"])
    with counted() as first:
        assert client.get(f"/p/{posts[1].id}").status_code == 302
    with counted() as deep:
        assert client.get(f"/p/{posts[-1].id}").status_code == 302
    assert len(first) == len(deep)


def test_category_and_tag_pages_cost_the_same_small_or_large_first_or_last(
        client, member, moderator):
    from forum.domain.moderation import pin_thread
    small, large = make_category("small", "Small"), make_category("large", "Large")
    for n in range(5):
        make_discussion(member, small, title=f"Small thread {n}", tags=["fatigue"])
    for n in range(60):
        thread = make_discussion(member, large, title=f"Large thread {n}",
                                 tags=["sleep"], minutes_ago=100 + n)
        if n in (10, 40):
            pin_thread(thread, moderator)
    db.session.commit()
    same_for_all(client, ["/c/small", "/c/large", "/c/large?page=2", "/c/large?page=3"])
    same_for_all(client, ["/tag/fatigue", "/tag/sleep", "/tag/sleep?page=3"])


def test_front_page_search_profile_and_feed_cost_the_same(app, client, member, expert,
                                                           other_member):
    small_world = make_category("small", "Small")
    make_discussion(other_member, small_world, title="Sleep and heat", body="Sleep.")
    make_article(expert, small_world, title="Sleep research one", body="Sleep studies.")
    counts = {}
    for path in ("/", "/search?q=sleep", f"/u/{other_member.username}", "/feed.atom"):
        statements_for(client, path)
        counts[path] = statements_for(client, path)
    big_world = make_category("big", "Big")
    for n in range(60):
        make_discussion(other_member, big_world, title=f"Sleep thread {n}",
                        body="Sleep is hard.", minutes_ago=200 + n)
    for n in range(25):
        make_article(expert, big_world, title=f"Sleep research {n + 2}", body="Sleep data.")
    db.session.commit()
    for path, count in counts.items():
        assert statements_for(client, path) == count, path
    assert statements_for(client, "/search?q=sleep&page=4") == counts["/search?q=sleep"]
    profile = f"/u/{other_member.username}"
    assert statements_for(client, profile + "?page=13") == counts[profile]
    assert statements_for(client, profile + "?threads_page=3") == counts[profile]
