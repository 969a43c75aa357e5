"""`seed bulk`: synthetic load data for the benchmarks in bench/."""

import pytest
from sqlalchemy import func, select

from forum import bulk
from forum.domain import search
from forum.extensions import db
from forum.models import Post, Thread, User


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
