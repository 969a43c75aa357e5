"""Full-text search through /search, on whichever database the suite runs."""

import pytest
from sqlalchemy import select

from forum.domain.posts import add_reply, delete_post, edit_post
from forum.extensions import db
from forum.models import Post
from tests.factories import make_category, make_discussion


@pytest.fixture
def category(app):
    return make_category()


def results(client, query, **params):
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200, query
    return response.get_data(as_text=True)


def test_finds_titles_and_bodies_ranked_with_highlights(client, member, category):
    make_discussion(member, category, title="Fatigue and cooling vests",
                    body="A cooling vest helped my fatigue on hot days.")
    make_discussion(member, category, title="Gardening on bad days",
                    body="I garden sitting down; the fatigue is easier then.")
    make_discussion(member, category, title="Unrelated: audiobooks", body="Loving audiobooks.")

    page = results(client, "fatigue")
    assert "2 results" in page
    assert page.index("Fatigue and cooling vests") < page.index("Gardening on bad days")
    assert "<mark>fatigue</mark>" in page.lower()
    assert "audiobooks" not in page.lower()
    assert "1 result" in results(client, "cooling vest")  # both words, stemmed


def test_index_follows_replies_edits_and_deletions(client, member, moderator, category):
    thread = make_discussion(member, category, title="Swimming with MS")
    reply = add_reply(thread, member, "The hydrotherapy pool is lovely.")
    assert "1 result" in results(client, "hydrotherapy")

    edit_post(reply, member, "The warm pool is lovely.")
    assert "0 results" in results(client, "hydrotherapy")
    assert "1 result" in results(client, "warm pool")

    delete_post(reply, member)
    assert "0 results" in results(client, "warm pool")


def test_deleted_content_never_appears_even_if_the_index_lags(client, member, category):
    thread = make_discussion(member, category, title="Secret-ish topic", body="pineapple")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    from forum.models import utcnow

    post.deleted_at = utcnow()  # behind the services' back: the index still has it
    db.session.commit()
    assert "0 results" in results(client, "pineapple")


def test_results_paginate(app, client, member, category):
    app.config["THREADS_PER_PAGE"] = 2
    try:
        for n in range(5):
            make_discussion(member, category, title=f"Balance exercises part {n}")
        assert "5 results" in results(client, "balance")
        assert 'rel="next"' in results(client, "balance")
        assert "Balance exercises" in results(client, "balance", page=3)
        assert client.get("/search", query_string={"q": "balance", "page": 4}).status_code == 404
    finally:
        app.config["THREADS_PER_PAGE"] = 25


HOSTILE_QUERIES = [
    '"', '""', "'", "' OR 1=1 --", '"unbalanced', "NEAR(a b)", "a AND OR NOT", "*", "^",
    "title:secret", "col:", "(((", ")", "a:b:c", "\\", "%", "_", ";DROP TABLE posts;",
    "\x00", "<script>alert(1)</script>", "ﬁ ligature", "ünïcödé", "🙂", "a" * 5000,
    " ".join(["word"] * 200), "-", "!!", "&", "|", "NOT", "AND", "OR", "{}", "[]", "$1",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_give_results_or_an_empty_page(client, member, category, query):
    make_discussion(member, category, title="A normal thread", body="with normal words")
    page = results(client, query)
    assert "<script>alert(1)" not in page
    assert client.get("/search", query_string={"q": query, "page": "x"}).status_code == 200


def test_search_reindex_rebuilds_the_index(app, client, member, category):
    from sqlalchemy import text

    make_discussion(member, category, title="Mindfulness for anxiety")
    db.session.execute(text("DELETE FROM search_posts"))
    db.session.commit()
    assert "0 results" in results(client, "mindfulness")

    outcome = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert outcome.exit_code == 0 and "1 posts indexed." in outcome.output
    assert "1 result" in results(client, "mindfulness")
