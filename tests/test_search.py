"""Full-text search through /search, on whichever database the suite runs."""

import re

import pytest
from sqlalchemy import event, select

from forum.domain import visibility
from forum.domain.posts import add_reply, delete_post, edit_post
from forum.extensions import db
from forum.models import Post, utcnow
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


def test_search_reindex_rebuilds_the_index(app, client, member, moderator, category):
    from sqlalchemy import text

    thread = make_discussion(member, category, title="Mindfulness for anxiety")
    visibility.hide(add_reply(thread, member, "Mindfulness is a scam"), moderator, "Spam.")
    db.session.commit()
    db.session.execute(text("DELETE FROM search_posts"))
    db.session.commit()
    assert "0 results" in results(client, "mindfulness")

    outcome = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert outcome.exit_code == 0 and "1 posts indexed." in outcome.output  # the public one
    assert "1 result" in results(client, "mindfulness")
    assert "0 results" in results(client, "scam")


def test_snippets_are_escaped_around_their_highlights(client, member, category):
    make_discussion(member, category, title="Heat", body="Fatigue <script>alert(1)</script> & heat")
    snippet = re.search(r'class="snippet">(.*?)</p>', results(client, "fatigue"), re.S).group(1)
    assert snippet.startswith("<mark>Fatigue</mark>") and snippet.endswith("&amp; heat")
    # Postgres's ts_headline drops what looks like a tag; FTS5 keeps it, escaped.
    assert re.findall(r"<[^>]*>", snippet) == ["<mark>", "</mark>"]


# -- search and the lists agree on what is public ------------------------------------
#
# Each withheld state is applied through the services (which also keep the index), and
# behind their back (the index still holds the post, so only the query's rule keeps it
# out). Either way a post is found by search exactly when the author's post list shows
# it, and its thread is in the category and tag lists exactly when search may show it.

BEHIND_THE_INDEX = {
    "deleted": lambda opening, reply: setattr(reply, "deleted_at", utcnow()),
    "hidden": lambda opening, reply: setattr(reply, "hidden_at", utcnow()),
    "held": lambda opening, reply: setattr(reply, "held_at", utcnow()),
    "thread hidden": lambda opening, reply: setattr(opening.thread, "hidden_at", utcnow()),
    "thread deleted": lambda opening, reply: setattr(opening.thread, "deleted_at", utcnow()),
}


def _through_the_services(state, opening, reply, moderator):
    if state == "deleted":
        visibility.delete(reply, moderator)
    elif state == "hidden":
        visibility.hide(reply, moderator, "Off topic.")
    elif state == "held":
        visibility.hold(reply)
    elif state == "thread hidden":  # a thread is hidden while its opening post is
        visibility.hide(opening, moderator, "Off topic.")
    else:  # a thread goes with its opening post once no public reply is left
        visibility.hold(reply)
        visibility.delete(opening, moderator)
        assert opening.thread.deleted_at is not None


def _found(client, query):
    return {int(n) for n in re.findall(r'href="/p/(\d+)"', results(client, query))}


def _listed_posts(client, username):
    page = client.get(f"/u/{username}")
    assert page.status_code == 200
    return {int(n) for n in re.findall(r'href="/t/\d+/[^"#]*#p(\d+)"', page.get_data(as_text=True))}


def _thread_listed(client, path, thread):
    page = client.get(path)
    assert page.status_code in (200, 404), path  # a tag only withheld threads carry is gone
    return page.status_code == 200 and f'href="/t/{thread.id}/{thread.slug}"' in page.get_data(
        as_text=True)


@pytest.mark.parametrize(("state", "how"), [("public", None), *(
    (state, how) for state in BEHIND_THE_INDEX
    for how in ("through the services", "behind the index's back"))])
def test_search_finds_what_the_lists_show_and_nothing_else(
        client, member, moderator, category, state, how):
    thread = make_discussion(member, category, title="Quokka sightings",
                             body="A quokka on the path.", tags=["quokkas"])
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    reply = add_reply(thread, member, "Another quokka by the lake.")
    assert _found(client, "quokka") == _listed_posts(client, member.username) \
        == {opening.id, reply.id}

    if state != "public":
        if how == "through the services":
            _through_the_services(state, opening, reply, moderator)
        else:
            BEHIND_THE_INDEX[state](opening, reply)
        db.session.commit()

    thread_public = state not in ("thread hidden", "thread deleted")
    public = ({opening.id, reply.id} if state == "public"
              else {opening.id} if thread_public else set())
    assert _found(client, "quokka") == _listed_posts(client, member.username) == public
    assert _thread_listed(client, f"/c/{category.slug}", thread) is thread_public
    assert _thread_listed(client, "/tag/quokkas", thread) is thread_public


def test_a_search_is_two_statements_however_many_it_finds(client, member, category):
    def statements_for(query):
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            results(client, query)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return [s for s in statements if "search_posts" in s]

    make_discussion(member, category, title="One walrus")
    for n in range(6):
        make_discussion(member, category, title=f"Otter number {n}", replies=2)
    assert len(statements_for("walrus")) == len(statements_for("otter")) == 2
    assert statements_for("!!") == []
