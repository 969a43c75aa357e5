"""Search ranks a bounded set of candidates (SEARCH_CANDIDATES, the newest matches), so
its cost does not grow with the number of matches; past the bound the count says
"more than". Through HTTP, on whichever database the suite runs."""

import re

import pytest
from sqlalchemy import select

from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Post, utcnow
from tests.factories import make_category, make_discussion


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def bound(app):
    """SEARCH_CANDIDATES set small, and two results a page."""
    saved = app.config["SEARCH_CANDIDATES"], app.config["THREADS_PER_PAGE"]
    app.config["SEARCH_CANDIDATES"], app.config["THREADS_PER_PAGE"] = 3, 2
    yield 3
    app.config["SEARCH_CANDIDATES"], app.config["THREADS_PER_PAGE"] = saved


def page_of(client, path, query, **params):
    response = client.get(path, query_string={"q": query, **params})
    assert response.status_code == 200, (query, params)
    return response.get_data(as_text=True)


def titles(page):
    return re.findall(r'<h2 class="thread-title"><a [^>]*>([^<]*)</a>', page)


def test_past_the_bound_it_says_more_than_and_ranks_the_newest(client, member, category,
                                                                bound):
    for n in range(5):  # oldest first: part 0 is the oldest
        make_discussion(member, category, title=f"Walking aids part {n}",
                        body="Sticks and frames.", minutes_ago=60 - n)
    page = page_of(client, "/search", "walking")
    assert "More than 3 results for “walking”" in page
    found = titles(page) + titles(page_of(client, "/search", "walking", page=2))
    assert sorted(found) == ["Walking aids part 2", "Walking aids part 3",
                             "Walking aids part 4"]  # the newest three
    assert found == ["Walking aids part 4", "Walking aids part 3", "Walking aids part 2"]
    # Two pages of two hold the three candidates; a page past them says there is none.
    assert client.get("/search", query_string={"q": "walking", "page": 3}).status_code == 404


def test_within_the_bound_the_count_is_exact(client, member, category, bound):
    for n in range(3):
        make_discussion(member, category, title=f"Walking aids part {n}")
    page = page_of(client, "/search", "walking")
    assert "3 results for “walking”" in page and "More than" not in page


def test_a_title_match_ranks_above_newer_body_matches(client, member, category, bound):
    make_discussion(member, category, title="Baclofen and sleep", body="Some words.",
                    minutes_ago=50)
    make_discussion(member, category, title="Evening routines",
                    body="I take baclofen at night.", minutes_ago=40)
    make_discussion(member, category, title="Morning routines",
                    body="Baclofen makes me drowsy.", minutes_ago=30)
    found = titles(page_of(client, "/search", "baclofen"))
    found += titles(page_of(client, "/search", "baclofen", page=2))
    assert found[0] == "Baclofen and sleep"
    assert set(found[1:]) == {"Evening routines", "Morning routines"}


def test_withheld_posts_take_no_candidate_place(client, member, category, bound):
    for n in range(3):
        make_discussion(member, category, title=f"Walking aids part {n}", minutes_ago=60 - n)
    newest = make_discussion(member, category, title="Walking aids part 3", minutes_ago=1)
    post = db.session.scalar(select(Post).where(Post.thread_id == newest.id))
    post.deleted_at = utcnow()  # behind the services' back: the index still has it
    db.session.commit()
    page = page_of(client, "/search", "walking")
    assert "3 results for “walking”" in page and "part 3" not in page


def test_a_visitor_is_never_shown_members_only_candidates(client, member, category, bound):
    make_discussion(member, category, title="Walking aids in public", minutes_ago=50)
    for n in range(4):
        secret = make_discussion(member, category, title=f"Walking aids private {n}",
                                 minutes_ago=10 - n)
        secret.members_only = True
    db.session.commit()
    page = page_of(client, "/search", "walking")
    assert "1 result for “walking”" in page and "private" not in page


def test_in_thread_search_ranks_the_threads_newest_matches(client, member, category, bound):
    thread = make_discussion(member, category, title="Cooling vests", body="Which one?")
    other = make_discussion(member, category, title="Elsewhere", body="An ice pack here.")
    for n in range(5):
        add_reply(thread, member, f"Ice pack number {n}.")
    add_reply(other, member, "Another ice pack.")
    path = f"/t/{thread.id}/search"
    first = page_of(client, path, "ice pack")
    assert "More than 3 results for “ice pack”" in first
    snippets = first + page_of(client, path, "ice pack", page=2)
    assert all(f"number {n}" in snippets for n in (2, 3, 4))
    assert "number 1" not in snippets and "Another" not in snippets
    assert client.get(path, query_string={"q": "ice pack", "page": 3}).status_code == 404


def test_the_bounded_count_is_translated(client, member, category, bound):
    for n in range(4):
        make_discussion(member, category, title=f"Walking aids part {n}")
    page = client.get("/search", query_string={"q": "walking"},
                      headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Más de 3 resultados" in page
