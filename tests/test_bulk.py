"""`seed bulk`: synthetic load data for the benchmarks in bench/."""

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from forum import bulk, text
from forum.domain import safety, search, visibility
from forum.extensions import db
from forum.models import ArticleReview, Category, Post, Tag, Thread, ThreadWatch, User, thread_tags


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def _count(column, *where):
    return db.session.scalar(select(func.count(column)).where(*where))


def test_seed_bulk_makes_n_threads_of_m_posts_with_counters_and_index(cli):
    result = cli.invoke(args=["seed", "bulk", "--threads", "12", "--posts", "3"])

    assert result.exit_code == 0, result.output
    assert "12 threads and 36 posts added" in result.output
    assert _count(Thread.id) == 12
    assert _count(Post.id) == 36
    assert _count(Thread.id, Thread.kind == "article") == 12 // bulk.ARTICLE_EVERY
    assert db.session.scalars(select(Thread.reply_count)).all() == [2] * 12
    assert _count(Post.id, Post.held_at.is_not(None)) == 0  # bulk accounts are established
    assert search.search("bulk").total == 12  # every opening post is indexed by its title
    assert _count(User.id) == bulk.MEMBERS + 1


def test_seed_bulk_loads_add_up_and_reuse_the_accounts(cli, browser):
    cli.invoke(args=["seed", "bulk", "--threads", "3", "--posts", "2"])
    result = cli.invoke(args=["seed", "bulk", "--threads", "1", "--posts", "25"])

    assert result.exit_code == 0, result.output
    assert _count(Thread.id) == 4
    assert _count(Post.id) == 3 * 2 + 25
    assert _count(User.id) == bulk.MEMBERS + 1
    long_thread = db.session.scalar(select(Thread).order_by(Thread.reply_count.desc()))
    assert long_thread.reply_count == 24
    assert browser.get(f"/t/{long_thread.id}?page=5").status_code == 200  # 5 posts a page here
    browser.login("bulk_member_01", bulk.BULK_PASSWORD)


@pytest.mark.parametrize("args", [["--threads", "0", "--posts", "2"],
                                  ["--threads", "2", "--posts", "0"],
                                  ["--threads", "2"]])
def test_seed_bulk_refuses_bad_sizes(cli, args):
    result = cli.invoke(args=["seed", "bulk", *args])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert _count(Thread.id) == 0


def test_seed_bulk_is_refused_in_production(cli, app):
    app.config["FORUM_ENV"] = "production"
    try:
        result = cli.invoke(args=["seed", "bulk", "--threads", "1", "--posts", "1"])
    finally:
        app.config["FORUM_ENV"] = "development"
    assert result.exit_code != 0 and "production" in result.output
    assert _count(User.id) == 0


# -- the fast path leaves what the services would ---------------------------------------
#
# Small batches, so short threads share a transaction and a long one spans several:
# the counters, positions and index rows must come out the same either way.

def _posts_in_order():
    return db.session.scalars(select(Post).order_by(Post.thread_id, Post.created_at, Post.id)).all()


def _index_rows():
    key = search.FTS5.c.rowid if db.engine.dialect.name == "sqlite" else search.TSVECTOR.c.post_id
    return db.session.execute(select(key, key.table.c.title, key.table.c.body)
                              .select_from(key.table).order_by(key)).all()


def test_a_bulk_load_leaves_counters_positions_html_and_index_as_the_services_would(app):
    bulk.load(11, 4, batch=7)
    bulk.load(1, 23, batch=5)

    posts = _posts_in_order()
    assert len(posts) == 11 * 4 + 23
    # `flask --app forum recount` finds nothing to correct: every derived column is
    # what visibility.derived_values() computes from the rows.
    assert visibility.recount() == 0
    for thread in db.session.scalars(select(Thread)):
        own = [p for p in posts if p.thread_id == thread.id]
        assert thread.reply_count == len(own) - 1
        assert thread.last_activity_at == own[-1].created_at
        assert [p.position for p in own] == list(range(1, len(own) + 1))
        assert [p.is_opening for p in own] == [True] + [False] * (len(own) - 1)
        assert own[0].author_id == thread.author_id
    assert all(p.body_html == str(text.render(p.body_source)) for p in posts)
    assert len({p.body_source for p in posts}) > 20  # varied text, not one body repeated
    # The index holds exactly what search.index_post would write for each post.
    loaded = _index_rows()
    assert len(loaded) == len(posts)
    search.reindex()
    db.session.commit()
    assert _index_rows() == loaded
    # Writing in a thread watches it, as replying through the form does.
    watches = {(w.user_id, w.thread_id) for w in db.session.scalars(select(ThreadWatch))}
    assert watches == {(p.author_id, p.thread_id) for p in posts}


def test_bulk_articles_carry_a_reference_and_their_first_review(app):
    bulk.load(20, 2)

    articles = db.session.scalars(select(Thread).where(Thread.kind == "article")).all()
    assert len(articles) == 2
    expert = db.session.scalar(select(User).where(User.username == bulk.EXPERT))
    assert expert.is_verified_expert
    for article in articles:
        assert article.author_id == expert.id and article.summary and article.disclosure
        assert [r.doi[:14] for r in article.references] == ["10.5555/bench."]
        review = db.session.scalar(select(ArticleReview).where(
            ArticleReview.thread_id == article.id))
        assert review.reviewer_id == expert.id
        assert (article.reviewed_at, article.review_due_at) == (review.reviewed_at,
                                                                review.due_at)
    assert _count(Thread.id, Thread.kind == "discussion", Thread.reviewed_at.is_(None)) == 18


def test_the_pool_of_bodies_holds_nothing_the_services_would_hold_or_alert_on():
    for body in bulk.body_pool(seed=1):
        assert not text.has_links(body.html) and "@" not in body.source
        assert not safety.crisis_phrases(body.source)


def test_the_same_seed_loads_the_same_words(app):
    bulk.load(3, 3, seed=7)
    first = [p.body_source for p in _posts_in_order()]
    db.session.execute(sql("DELETE FROM search_posts"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    bulk.load(3, 3, seed=7)
    assert [p.body_source for p in _posts_in_order()] == first


# -- bulk data through the pages ------------------------------------------------------

def _mentioning(word, posts, titles):
    return sum(1 for p in posts if word in p.body_source.lower()
               or (p.is_opening and word in titles[p.thread_id].lower()))


def test_search_finds_bulk_posts_by_their_words_and_within_a_thread(cli, browser):
    cli.invoke(args=["seed", "bulk", "--threads", "12", "--posts", "6"])
    result = cli.invoke(args=["seed", "bulk", "--threads", "1", "--posts", "40"])
    assert result.exit_code == 0, result.output
    posts = _posts_in_order()
    titles = dict(db.session.execute(select(Thread.id, Thread.title)).all())

    expected = _mentioning("spasticity", posts, titles)
    assert expected > 0
    page = browser.get("/search?q=spasticity")
    assert page.status_code == 200
    assert f"{expected} results for" in page.text
    for word in ("fatigue", "cooling", "physio", "neurologist", "appointment", "cramp"):
        assert "No results" not in browser.get(f"/search?q={word}").text
        assert search.search(word).total > 0, word

    long_thread = db.session.scalar(select(Thread).order_by(Thread.reply_count.desc()))
    own = [p for p in posts if p.thread_id == long_thread.id]
    expected = _mentioning("cramp", own, titles)
    page = browser.get(f"/t/{long_thread.id}/search?q=cramp")
    assert page.status_code == 200
    assert f"{expected} result{'s' if expected != 1 else ''} for" in page.text


def test_thread_category_tag_and_profile_pages_of_bulk_data(cli, browser):
    cli.invoke(args=["seed", "bulk", "--threads", "12", "--posts", "3"])
    cli.invoke(args=["seed", "bulk", "--threads", "1", "--posts", "23"])
    long_thread = db.session.scalar(select(Thread).order_by(Thread.reply_count.desc()))
    own = [p for p in _posts_in_order() if p.thread_id == long_thread.id]

    # 23 posts, 5 a page (the tests' POSTS_PER_PAGE): the last page holds the last three.
    last = browser.get(f"/t/{long_thread.id}?page=5")
    assert last.status_code == 200
    assert all(f'id="p{p.id}"' in last.text for p in own[-3:])
    assert f'id="p{own[-4].id}"' not in last.text
    assert browser.get(f"/t/{long_thread.id}?page=6").status_code == 404

    category = browser.get("/c/bulk-living")
    assert category.status_code == 200
    living = db.session.scalars(select(Thread).join(Category).where(
        Category.slug == "bulk-living")).all()
    assert category.text.count('class="thread-row"') == len(living)
    for thread in living:
        assert f"{thread.reply_count} replies" in category.text

    tag = db.session.scalar(select(Tag).where(Tag.name == "fatigue"))
    tagged = _count(thread_tags.c.thread_id, thread_tags.c.tag_id == tag.id)
    page = browser.get("/tag/fatigue")
    assert page.status_code == 200 and page.text.count('class="thread-row"') == tagged

    member = db.session.scalar(select(User).where(User.username == "bulk_member_01"))
    page = browser.get("/u/bulk_member_01")
    assert page.status_code == 200
    started = _count(Thread.id, Thread.author_id == member.id)
    assert page.text.count('class="thread-row"') == min(started, 25)
