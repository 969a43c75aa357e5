"""Each public post's position in its thread, kept as posts come and go, and the thread
pages built on it: page N is the range of public positions (N-1)*5+1 .. N*5 (5 posts a
page in tests), with what else the viewer may see in its place."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forum.domain import moderation
from forum.domain.accounts import create_user
from forum.domain.posts import add_reply, delete_post
from forum.extensions import db
from forum.models import Post, utcnow
from forum.permissions import public_posts
from tests.conftest import Browser
from tests.factories import PASSWORD, make_category, make_discussion


@pytest.fixture
def category(app):
    return make_category()


def wrong_positions():
    """Posts whose position differs from a ROW_NUMBER recomputation (public posts
    numbered from 1 in created_at, id order; every other post None)."""
    db.session.expire_all()
    numbered = (
        select(Post.id, func.row_number().over(
            partition_by=Post.thread_id, order_by=(Post.created_at, Post.id)).label("n"))
        .where(public_posts()).subquery()
    )
    rows = db.session.execute(
        select(Post.id, Post.position, numbered.c.n)
        .outerjoin(numbered, numbered.c.id == Post.id)).all()
    return [(row.id, row.position, row.n) for row in rows if row.position != row.n]


def replies_of(thread):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False))
                              .order_by(Post.created_at, Post.id)).all()


def shown_ids(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return [int(n) for n in re.findall(r'<article [^>]*id="p(\d+)"', html)]


@pytest.fixture
def thread(member, other_member, category):
    """An opening post and 11 replies: three pages of 5, 5 and 2 public posts."""
    return make_discussion(member, category, replies=11, repliers=[other_member])


def test_positions_follow_replies_hide_restore_delete_hold_approve_and_moves(
        app, thread, member, moderator, category):
    assert wrong_positions() == []
    replies = replies_of(thread)
    moderation.hide_post(replies[4], moderator, "Off topic.")  # in the middle
    assert wrong_positions() == []
    delete_post(replies[1], member)
    assert wrong_positions() == []
    moderation.restore_post(replies[4], moderator)
    assert wrong_positions() == []
    newcomer = create_user("newcomer", "newcomer@example.org", PASSWORD, established=False,
                           confirmed=True)
    held = add_reply(thread, newcomer, "My first post here.",
                     at=replies[6].created_at + timedelta(milliseconds=1))
    assert held.held_at is not None and held.position is None
    add_reply(thread, member, "A later reply.")
    assert wrong_positions() == []
    moderation.approve_post(held, moderator)  # placed by time, between replies 7 and 8
    assert wrong_positions() == []
    db.session.refresh(held)
    assert held.position == replies[6].position + 1
    moderation.hide_post(replies[0], moderator, "Rude.")
    moderation.move_thread(thread, moderator, make_category("elsewhere", "Elsewhere"))
    assert wrong_positions() == []
    db.session.commit()


def test_page_two_starts_at_the_right_post_after_a_post_on_page_one_is_hidden(
        client, thread, moderator, moderator_browser):
    replies = replies_of(thread)
    page_two = shown_ids(client, f"/t/{thread.id}?page=2")
    assert page_two[0] == replies[4].id  # the opening post and four replies before it

    moderation.hide_post(replies[1], moderator, "Shares a phone number.")
    page_one = shown_ids(client, f"/t/{thread.id}")
    page_two = shown_ids(client, f"/t/{thread.id}?page=2")
    assert replies[1].id not in page_one and len(page_one) == 5
    assert page_two == [reply.id for reply in replies[5:10]]
    assert shown_ids(client, f"/t/{thread.id}?page=3") == [replies[10].id]
    # A moderator sees the hidden reply where it sits, and the same pages otherwise.
    assert shown_ids(moderator_browser, f"/t/{thread.id}") == [*page_one[:2], replies[1].id,
                                                               *page_one[2:]]
    assert shown_ids(moderator_browser, f"/t/{thread.id}?page=2") == page_two


def test_a_moderator_sees_a_hidden_post_on_its_page_and_its_permalink_lands_there(
        client, thread, moderator, moderator_browser):
    replies = replies_of(thread)
    hidden = replies[6]  # on page 2
    moderation.hide_post(hidden, moderator, "Off topic.")
    assert hidden.id not in shown_ids(client, f"/t/{thread.id}?page=2")
    assert hidden.id in shown_ids(moderator_browser, f"/t/{thread.id}?page=2")
    landed = moderator_browser.get(f"/p/{hidden.id}")
    assert "page=2" in landed.location and landed.location.endswith(f"#p{hidden.id}")


def test_a_hidden_post_between_pages_is_on_the_page_of_the_public_post_before_it(
        client, thread, moderator, moderator_browser):
    replies = replies_of(thread)
    # Positions 1-5 are page 1: the opening post and replies 0-3; reply 4 opens page 2.
    moderation.hide_post(replies[4], moderator, "Off topic.")
    assert replies[4].id in shown_ids(moderator_browser, f"/t/{thread.id}")
    assert replies[4].id not in shown_ids(moderator_browser, f"/t/{thread.id}?page=2")
    assert "page=" not in moderator_browser.get(f"/p/{replies[4].id}").location
    assert shown_ids(client, f"/t/{thread.id}?page=2")[0] == replies[5].id


def test_permalinks_to_posts_on_deep_pages_land_on_their_page(client, member, category):
    thread = make_discussion(member, category, replies=44)  # 9 pages of 5
    replies = replies_of(thread)
    for reply in (replies[3], replies[4], replies[23], replies[38], replies[-1]):
        landed = client.get(f"/p/{reply.id}", follow_redirects=True)
        assert landed.status_code == 200
        assert f'id="p{reply.id}"' in landed.get_data(as_text=True)
    assert "page=9" in client.get(f"/p/{replies[-1].id}").location
    assert client.get(f"/t/{thread.id}?page=9").status_code == 200
    assert client.get(f"/t/{thread.id}?page=10").status_code == 404


def test_the_last_page_ends_with_what_only_the_viewer_sees(client, member, category):
    thread = make_discussion(member, category, replies=4)  # one full page
    newcomer = create_user("newcomer", "newcomer@example.org", PASSWORD, established=False,
                           confirmed=True)
    held = add_reply(thread, newcomer, "Waiting for a moderator.")
    db.session.commit()
    assert held.held_at is not None
    assert client.get(f"/t/{thread.id}?page=2").status_code == 404
    author = Browser(client.application.test_client())
    author.login("newcomer")
    assert held.id in shown_ids(author, f"/t/{thread.id}")


def test_recount_repairs_positions(app, thread, other_member, category):
    make_discussion(other_member, category, title="Another thread", replies=3)
    db.session.execute(update(Post).where(Post.thread_id == thread.id)
                       .values(position=Post.position + 7))
    db.session.commit()
    assert wrong_positions()
    result = app.test_cli_runner().invoke(args=["recount"])
    assert result.exit_code == 0, result.output
    assert "2 threads recounted, 1 corrected." in result.output
    assert wrong_positions() == []
    again = app.test_cli_runner().invoke(args=["recount"])
    assert "0 corrected." in again.output


def test_category_pages_keep_pinned_threads_first_across_pages(client, member, moderator,
                                                               category):
    threads = [make_discussion(member, category, title=f"Thread number {n}",
                               minutes_ago=100 - n) for n in range(28)]
    for n in (2, 9, 20):
        moderation.pin_thread(threads[n], moderator)
    db.session.commit()
    pinned = [threads[20], threads[9], threads[2]]
    expected = pinned + [t for t in reversed(threads) if t not in pinned]

    def titles(page):
        html = client.get(f"/c/{category.slug}?page={page}").get_data(as_text=True)
        return re.findall(r'<h2 class="thread-title">\s*<a [^>]*>([^<]+)</a>', html)

    assert titles(1) + titles(2) == [t.title for t in expected]
    assert len(titles(1)) == 25
    assert client.get(f"/c/{category.slug}?page=3").status_code == 404


def test_long_lists_show_the_pages_around_this_one_and_a_gap_for_the_rest(
        client, member, category):
    start = utcnow()
    for n in range(80):
        make_discussion(member, category, title=f"Thread number {n}",
                        minutes_ago=int((utcnow() - start).total_seconds() // 60) + n)
    db.session.commit()
    html = client.get(f"/c/{category.slug}").get_data(as_text=True)
    numbers = re.findall(r'visually-hidden">Page </span>(\d+)', html)
    assert numbers == ["1", "2", "3"]  # 80 threads, 25 a page: counted as far as page 3
    assert 'class="gap"' in html and 'rel="next"' in html
    last = client.get(f"/c/{category.slug}?page=4").get_data(as_text=True)
    assert re.findall(r'visually-hidden">Page </span>(\d+)', last) == ["1", "2", "3", "4"]
    assert client.get(f"/c/{category.slug}?page=5").status_code == 404


def test_hiding_the_only_post_of_the_last_page_sends_the_moderator_where_it_now_sits(
        moderator_browser, member, category):
    thread = make_discussion(member, category, replies=5)  # 6 posts: page 2 holds one
    last = replies_of(thread)[-1]
    response = moderator_browser.submit(f"/t/{thread.id}?page=2", {"reason": "Off topic."},
                                        action=f"/p/{last.id}/hide")
    assert response.status_code == 302
    assert "page=2" not in response.location  # page 2 is gone: 5 public posts are left
    landed = moderator_browser.get(response.location)
    assert landed.status_code == 200 and f'id="p{last.id}"' in landed.get_data(as_text=True)
