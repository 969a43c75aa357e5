"""Catching up on a long thread through HTTP: its top posts (the opening post, the most
helpful replies and every verified expert's reply, in order, public only, each linked to
its place), and search within one thread (that thread's public posts only; any input)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.domain import helpful
from forum.domain.moderation import hide_post
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Post, utcnow
from tests.factories import make_category, make_discussion, make_user
from tests.test_reading import _queries_for
from tests.test_search import HOSTILE_QUERIES


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


def replies_of(thread):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False))
                              .order_by(Post.created_at, Post.id)).all()


@pytest.fixture
def long_thread(member, other_member, expert, category):
    """sam's question with 12 replies (three pages of five); reply 3 is dr_nair's,
    reply 7 helped three members, reply 10 helped one, reply 5 helped two but is hidden."""
    start = utcnow() - timedelta(hours=2)
    thread = make_discussion(other_member, category, title="Heat and fatigue in summer",
                             body="How do you cope with the heat?", replies=0,
                             minutes_ago=180)
    for n in range(12):
        author = expert if n == 2 else (member if n % 2 else other_member)
        add_reply(thread, author, f"Summer reply number {n + 1} about cooling",
                  at=start + timedelta(minutes=n + 1))
    replies = replies_of(thread)
    readers = [make_user(f"reader{n}") for n in range(3)]
    for reader in readers:
        helpful.mark_helpful(replies[6], reader)
    helpful.mark_helpful(replies[9], readers[0])
    for reader in readers[:2]:
        helpful.mark_helpful(replies[4], reader)
    return thread


def test_top_posts_are_the_opening_the_helpful_and_the_experts_in_order(
        client, long_thread, moderator):
    replies = replies_of(long_thread)
    hide_post(replies[4], moderator, "Off topic")
    page = text_of(client.get(f"/t/{long_thread.id}/top"))
    shown = [int(n) for n in __import__("re").findall(r'<article class="post" id="p(\d+)"', page)]
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == long_thread.id,
                                                      Post.is_opening.is_(True)))
    assert shown == [opening, replies[2].id, replies[6].id, replies[9].id]
    assert "Verified expert" in page and "Helped 3 people" in page and "Helped 1 person" in page
    assert "Summer reply number 5" not in page  # hidden, though it helped two
    assert "Summer reply number 2 " not in page  # helped nobody
    # Each links to its place: reply 7 is post 8 of the thread, on page 2 (five a page).
    assert f'/t/{long_thread.id}/{long_thread.slug}?page=2#p{replies[6].id}' in page


def test_the_thread_page_links_top_posts_only_when_long(client, long_thread, member, category):
    assert f'href="/t/{long_thread.id}/top"' in text_of(client.get(f"/t/{long_thread.id}"))
    short = make_discussion(member, category, title="A short one", replies=1)
    assert f'href="/t/{short.id}/top"' not in text_of(client.get(f"/t/{short.id}"))


def test_top_posts_of_a_hidden_or_missing_thread_are_404(client, long_thread, moderator):
    assert client.get("/t/99999999/top").status_code == 404
    opening = db.session.scalar(select(Post).where(Post.thread_id == long_thread.id,
                                                   Post.is_opening.is_(True)))
    hide_post(opening, moderator, "Spam")
    assert client.get(f"/t/{long_thread.id}/top").status_code == 404
    assert client.get(f"/t/{long_thread.id}/search?q=summer").status_code == 404


def test_top_posts_read_in_constant_sql(app, client, member, other_member, expert, category):
    few = make_discussion(other_member, category, title="Few", replies=6,
                          repliers=[member, expert])
    many = make_discussion(other_member, category, title="Many", replies=30,
                           repliers=[member, expert, other_member])
    readers = [make_user(f"fan{n}") for n in range(3)]
    for post in replies_of(many)[::2]:
        for reader in readers:
            helpful.mark_helpful(post, reader)
    assert len(_queries_for(client, f"/t/{few.id}/top")) == \
        len(_queries_for(client, f"/t/{many.id}/top"))
    page = text_of(client.get(f"/t/{many.id}/top"))
    assert page.count('<article class="post"') == 20  # at most twenty


# -- search within a thread -------------------------------------------------------------

def test_search_finds_only_this_threads_public_posts(client, long_thread, member, moderator,
                                                     category):
    other = make_discussion(member, category, title="Cooling towels",
                            body="Summer cooling towels are great")
    replies = replies_of(long_thread)
    hide_post(replies[0], moderator, "Off topic")
    page = text_of(client.get(f"/t/{long_thread.id}/search?q=cooling"))
    assert "11 results" in page
    assert f"/p/{replies[0].id}\"" not in page  # hidden
    assert f"/p/{replies[1].id}\"" in page
    other_opening = db.session.scalar(select(Post.id).where(Post.thread_id == other.id))
    assert f"/p/{other_opening}\"" not in page
    assert "<mark>cooling</mark>" in page.lower()
    # The site search still finds both threads.
    site = text_of(client.get("/search?q=cooling"))
    assert "Cooling towels" in site and "Heat and fatigue in summer" in site


def test_the_thread_page_has_its_search_form(client, long_thread):
    page = text_of(client.get(f"/t/{long_thread.id}"))
    assert f'action="/t/{long_thread.id}/search"' in page
    assert '<label for="thread-q">Search this thread</label>' in page


@pytest.mark.parametrize("query", [
    '"', "'", '"summer', "summer*", "NEAR(summer cooling)", "summer OR", "AND",
    "col:summer", "-summer", "^summer", "(summer", "x" * 10_000, "summer\x00cooling",
    "%00", "\\", "💥", "", *HOSTILE_QUERIES,
])
def test_hostile_queries_give_results_or_nothing_never_an_error(client, long_thread, query):
    response = client.get(f"/t/{long_thread.id}/search", query_string={"q": query})
    assert response.status_code == 200


def test_search_pages_past_the_end_are_404(client, long_thread):
    assert client.get(f"/t/{long_thread.id}/search?q=summer&page=999").status_code == 404
