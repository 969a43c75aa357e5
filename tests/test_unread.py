"""Unread, through HTTP: a signed-in member's thread lists say which threads they have
never opened and how many posts are new in the others; the thread page leads to the
first unread post and marks where the new posts start; "Mark all read" per category
and everywhere. Visitors see none of it, and nothing is written for them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.domain.accounts import create_user
from forum.domain.moderation import hide_post
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Post, Thread, ThreadRead, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_category, make_discussion, make_user
from tests.test_reading import _queries_for

SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def category(app):
    return make_category()


def text_of(response):
    return response.get_data(as_text=True)


def row_of(html, title):
    """The thread list's row for the thread called `title`, as its words."""
    for row in re.findall(r'<li class="thread-row">.*?</li>', html, re.S):
        if f">{title}</a>" in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {title!r}")


def flags(browser, title, path="/c/living-with-ms", **kwargs):
    row = row_of(text_of(browser.get(path, **kwargs)), title)
    return row.split(" maria ")[0].split(" sam ")[0]  # the words before the author


def reply_as(browser, thread, body):
    response = browser.submit(f"/t/{thread.id}", {"body": body}, action=f"/t/{thread.id}/reply")
    assert response.status_code == 302, text_of(response)


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def test_a_thread_never_opened_is_unread_in_every_list(member_browser, other_member,
                                                       category):
    make_discussion(other_member, category, title="Cooling vests", tags=["heat"])
    for path in ("/", "/c/living-with-ms", "/tag/heat"):
        assert "Unread" in flags(member_browser, "Cooling vests", path), path


def test_visitors_see_no_markers_and_leave_no_trace(client, other_member, category):
    thread = make_discussion(other_member, category, title="Cooling vests", replies=2)
    assert client.get(f"/t/{thread.id}").status_code == 200
    html = text_of(client.get("/c/living-with-ms"))
    assert "Unread" not in html and " new" not in row_of(html, "Cooling vests")
    assert "Mark all read" not in html and "Mark all read" not in text_of(client.get("/"))
    assert "First unread" not in text_of(client.get(f"/t/{thread.id}"))
    assert db.session.scalar(select(func.count()).select_from(ThreadRead)) == 0


def test_read_then_a_reply_is_one_new_then_three(app, member_browser, other_member, category):
    thread = make_discussion(other_member, category, title="Cooling vests", replies=2)
    member_browser.get(f"/t/{thread.id}")
    assert flags(member_browser, "Cooling vests") == "Cooling vests"  # nothing new

    other = signed_in(app, other_member)
    reply_as(other, thread, "Mine arrived today.")
    assert "1 new" in flags(member_browser, "Cooling vests")
    reply_as(other, thread, "It works well.")
    reply_as(other, thread, "Even in July.")
    assert "3 new" in flags(member_browser, "Cooling vests")
    assert "3 new" in flags(member_browser, "Cooling vests", "/")


def test_your_own_replies_are_not_new_to_you(member, member_browser, other_member, category):
    thread = make_discussion(other_member, category, title="Cooling vests")
    member_browser.get(f"/t/{thread.id}")
    add_reply(thread, member, "My own words.")
    assert flags(member_browser, "Cooling vests") == "Cooling vests"


def test_hidden_and_held_replies_are_not_counted(member_browser, other_member, moderator,
                                                 category):
    thread = make_discussion(other_member, category, title="Cooling vests")
    member_browser.get(f"/t/{thread.id}")
    hidden = add_reply(thread, other_member, "Something a moderator hides.")
    hide_post(hidden, moderator, "Off topic")
    newcomer = create_user("newcomer", "newcomer@example.org", PASSWORD, confirmed=True)
    held = add_reply(thread, newcomer, "A first post, waiting for review.")
    assert held.is_held
    assert flags(member_browser, "Cooling vests") == "Cooling vests"
    add_reply(thread, other_member, "A public reply.")
    assert "1 new" in flags(member_browser, "Cooling vests")


def test_the_first_unread_link_and_the_divider(member_browser, other_member, category):
    # Five posts a page in tests: the opening post and replies 1-4 on page 1.
    thread = make_discussion(other_member, category, title="Cooling vests", replies=6)
    page_1 = text_of(member_browser.get(f"/t/{thread.id}"))
    assert "First unread" not in page_1 and "New since your last visit" not in page_1
    replies = sorted((post for post in thread_posts(thread)), key=lambda post: post.id)
    first_unread = replies[5]  # reply 5: the first post of page 2

    page_1 = text_of(member_browser.get(f"/t/{thread.id}"))
    link = re.search(r'<a href="([^"]+)" class="first-unread">', page_1).group(1)
    assert link == f"/t/{thread.id}/{thread.slug}?page=2#p{first_unread.id}"
    assert "New since your last visit" not in page_1  # the first unread is on page 2

    page_2 = text_of(member_browser.get(link.split("#")[0]))
    divider = page_2.index("New since your last visit")
    assert divider < page_2.index(f'id="p{first_unread.id}"')
    assert f'id="p{replies[4].id}"' not in page_2[:divider]  # nothing read after it

    again = text_of(member_browser.get(link.split("#")[0]))
    assert "New since your last visit" not in again and "First unread" not in again
    assert flags(member_browser, "Cooling vests") == "Cooling vests"


def thread_posts(thread):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id)).all()


def test_an_earlier_page_does_not_move_your_place_back(member_browser, other_member,
                                                       category):
    thread = make_discussion(other_member, category, title="Cooling vests", replies=6)
    member_browser.get(f"/t/{thread.id}?page=2")
    member_browser.get(f"/t/{thread.id}")
    assert flags(member_browser, "Cooling vests") == "Cooling vests"


def test_mark_all_read_in_a_category_then_everywhere(member_browser, other_member, category):
    elsewhere = make_category("research-news", "Research news")
    make_discussion(other_member, category, title="Cooling vests")
    make_discussion(other_member, elsewhere, title="A new trial")
    response = member_browser.submit("/c/living-with-ms", {},
                                     action="/c/living-with-ms/mark-read")
    assert response.headers["Location"] == "/c/living-with-ms"
    page = text_of(member_browser.get("/c/living-with-ms"))
    assert "Every thread in Living with MS is marked as read." in page
    assert "Unread" not in row_of(page, "Cooling vests")
    assert "Unread" in flags(member_browser, "A new trial", "/c/research-news")

    response = member_browser.submit("/", {}, action="/mark-read")
    assert response.headers["Location"] == "/"
    front = text_of(member_browser.get("/"))
    assert "Everything is marked as read." in front
    assert "Unread" not in front and " new<" not in front


def test_after_mark_all_read_a_new_reply_is_new(member_browser, other_member, category):
    thread = make_discussion(other_member, category, title="Cooling vests", replies=3)
    member_browser.submit("/", {}, action="/mark-read")
    add_reply(thread, other_member, "Later.")
    assert "1 new" in flags(member_browser, "Cooling vests")


def test_mark_all_read_needs_a_member_and_a_csrf_token(client, member_browser, category):
    token = csrf_token(text_of(client.get("/login")))
    for path in ("/mark-read", "/c/living-with-ms/mark-read"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert member_browser.client.post(path).status_code == 400
    assert member_browser.submit("/", {}, action="/c/no-such/mark-read").status_code == 404


def test_unread_in_spanish(app, member_browser, other_member, category):
    make_discussion(other_member, category, title="Chalecos")
    thread = make_discussion(other_member, category, title="Cooling vests")
    member_browser.get(f"/t/{thread.id}")
    add_reply(thread, other_member, "Uno.")
    assert "1 nuevo" in flags(member_browser, "Cooling vests", headers=SPANISH)
    add_reply(thread, other_member, "Dos.")
    add_reply(thread, other_member, "Tres.")
    assert "3 nuevos" in flags(member_browser, "Cooling vests", headers=SPANISH)
    assert "Sin leer" in flags(member_browser, "Chalecos", headers=SPANISH)
    page = text_of(member_browser.get(f"/t/{thread.id}", headers=SPANISH))
    assert "Novedades desde tu última visita" in page
    response = member_browser.submit("/", {}, action="/mark-read", headers=SPANISH)
    assert "Todo está marcado como leído." in text_of(
        member_browser.get(response.headers["Location"], headers=SPANISH))


# -- constant SQL ----------------------------------------------------------------------

def _many_threads(author, category, count):
    start = utcnow() - timedelta(days=1)
    for n in range(count):
        thread = make_discussion(author, category, title=f"Thread {n}", minutes_ago=60 * 24 - n)
        add_reply(thread, author, f"a reply {n}", at=start + timedelta(minutes=n))


def test_thread_lists_do_not_grow_with_threads_read_or_new(app, member_browser, other_member,
                                                         category):
    small = make_category("small", "Small")
    _many_threads(other_member, small, 2)
    _many_threads(other_member, category, 25)
    before = len(_queries_for(member_browser.client, "/c/small"))
    assert len(_queries_for(member_browser.client, "/c/living-with-ms")) == before
    front = len(_queries_for(member_browser.client, "/"))
    member_browser.submit("/", {}, action="/mark-read")
    for thread in db.session.scalars(select(Thread).where(
            Thread.category_id == category.id).limit(10)).all():
        add_reply(thread, other_member, "news")
    assert len(_queries_for(member_browser.client, "/c/living-with-ms")) == before
    assert len(_queries_for(member_browser.client, "/")) == front


def test_thread_page_of_twenty_does_not_grow_with_posts_or_unread(app, monkeypatch,
                                                                 member_browser, other_member,
                                                                 category):
    monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 20)
    repliers = [other_member, make_user("reader1"), make_user("reader2")]
    small = make_discussion(other_member, category, title="Small", replies=2,
                            repliers=repliers)
    big = make_discussion(other_member, category, title="Big", replies=65, repliers=repliers)
    never_opened = len(_queries_for(member_browser.client, f"/t/{small.id}"))
    member_browser.get(f"/t/{big.id}")
    add_reply(small, other_member, "new")
    # Each page now has a first unread post (and shows its divider, on the page it is on).
    counts = {path: len(_queries_for(member_browser.client, path))
              for path in (f"/t/{small.id}", f"/t/{big.id}", f"/t/{big.id}?page=2",
                           f"/t/{big.id}?page=3")}
    # Page 1 of the big thread was read already: nothing moves, so it writes nothing
    # and costs less; every page that moves the reader's place costs the same.
    read_again = counts.pop(f"/t/{big.id}")
    assert len(set(counts.values())) == 1, counts
    assert read_again < counts[f"/t/{small.id}"]
    # The first unread post and its page are found in one statement, asked on every page.
    assert never_opened == counts[f"/t/{small.id}"]


def test_leaving_the_forum_takes_what_you_read_with_you(member_browser, other_member,
                                                        category):
    thread = make_discussion(other_member, category, title="Cooling vests")
    member_browser.get(f"/t/{thread.id}")
    assert db.session.scalar(select(func.count()).select_from(ThreadRead)) == 1
    done = member_browser.submit("/settings/delete", {"posts": "keep", "password": PASSWORD})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ThreadRead)) == 0


def _writes(statements):
    return [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE",
                                                                        "DELETE"))]


def test_reading_a_page_again_writes_nothing(member_browser, member, other_member, category):
    thread = make_discussion(other_member, category, replies=2)
    assert _writes(_queries_for(member_browser.client, f"/t/{thread.id}"))  # the place
    assert _writes(_queries_for(member_browser.client, f"/t/{thread.id}")) == []
    # A new reply moves the place again, and reading it clears its notification.
    add_reply(thread, other_member, "Something new")
    assert any("thread_reads" in s for s in
               _writes(_queries_for(member_browser.client, f"/t/{thread.id}")))
    assert db.session.scalar(select(ThreadRead.last_read_post_id).where(
        ThreadRead.user_id == member.id, ThreadRead.thread_id == thread.id)) == \
        db.session.scalar(select(func.max(Post.id)).where(Post.thread_id == thread.id))
