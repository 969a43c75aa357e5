"""The anonymous page cache through HTTP: each change a page shows is seen by the next
visitor, members never get a kept page, members-only text never enters the store, and
the headers are right for browsers and proxies. Every test runs on the in-process store
and on Redis (REDIS_URL=redis://127.0.0.1:6379/15)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from forum import pagecache
from forum.extensions import db
from forum.models import EvidenceLabel, Post, Thread
from tests.conftest import Browser, csrf_token
from tests.factories import make_article, make_category, make_discussion, make_user

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
def store(app, request):
    """The app's store for this test, emptied before and after."""
    previous = app.extensions.get("page_cache")
    if request.param == "redis":
        import redis

        redis.Redis.from_url(REDIS).flushdb()
        app.extensions["page_cache"] = pagecache.RedisStore(REDIS)
    else:
        app.extensions["page_cache"] = pagecache.MemoryStore(app.config["PAGE_CACHE_BYTES"])
    assert app.config["PAGE_CACHE"]
    yield app.extensions["page_cache"]
    app.extensions["page_cache"].clear()
    if previous is None:
        app.extensions.pop("page_cache")
    else:
        app.extensions["page_cache"] = previous


@pytest.fixture
def visitor(app, store):
    return app.test_client()


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(member, other_member, category):
    return make_discussion(member, category, title="Cooling vests in summer",
                           body="Do they help anyone?", replies=2, repliers=[other_member])


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def primed(visitor, path):
    """A miss, then a hit with the same page; returns its text."""
    first = visitor.get(path)
    assert first.status_code == 200, path
    assert first.headers["X-Page-Cache"] == "miss", path
    second = visitor.get(path)
    assert second.headers["X-Page-Cache"] == "hit", path
    assert without_token(second) == without_token(first)
    return second.get_data(as_text=True)


def kept(visitor, path):
    response = visitor.get(path)
    assert response.headers["X-Page-Cache"] == "hit", path
    return response.get_data(as_text=True)


def without_token(response):
    body = response.get_data(as_text=True)
    return body.replace(csrf_token(body), "") if "csrf_token" in body else body


def fresh(visitor, path):
    response = visitor.get(path)
    assert response.status_code == 200, path
    assert response.headers["X-Page-Cache"] == "miss", path
    return response.get_data(as_text=True)


def reply_of(thread, number=1):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                Post.body_source == f"Reply number {number}"))


def url(thread):
    return f"/t/{thread.id}"


# -- each change the issue lists ---------------------------------------------------

def test_a_reply(visitor, member_browser, thread, category):
    primed(visitor, url(thread))
    primed(visitor, f"/c/{category.slug}")
    member_browser.submit(url(thread), {"body": "Mine arrived today, it helps."},
                          action=f"{url(thread)}/reply")
    assert "Mine arrived today" in fresh(visitor, url(thread))
    assert "3 replies" in fresh(visitor, f"/c/{category.slug}")


def test_an_edit(app, visitor, other_member, thread):
    primed(visitor, url(thread))
    reply = reply_of(thread)
    response = signed_in(app, other_member).submit(f"/p/{reply.id}/edit",
                                                   {"body": "Edited: only in the shade"})
    assert response.status_code == 302
    assert "Edited: only in the shade" in fresh(visitor, url(thread))


def test_a_delete_a_hide_and_a_restore(app, visitor, other_member, moderator_browser, thread):
    first, second = reply_of(thread, 1), reply_of(thread, 2)
    assert "Reply number 1" in primed(visitor, url(thread))
    signed_in(app, other_member).submit(url(thread), {}, action=f"/p/{first.id}/delete")
    assert "Reply number 1" not in fresh(visitor, url(thread))
    assert "Reply number 2" in kept(visitor, url(thread))
    moderator_browser.submit(url(thread), {"reason": "Shares a phone number."},
                             action=f"/p/{second.id}/hide")
    assert "Reply number 2" not in primed(visitor, url(thread))
    moderator_browser.submit(url(thread), {"reason": ""}, action=f"/p/{second.id}/restore")
    assert "Reply number 2" in fresh(visitor, url(thread))


def test_an_approval_of_a_held_post(app, visitor, moderator_browser, thread):
    newcomer = make_user("newcomer")
    newcomer.established_at = None
    db.session.commit()
    signed_in(app, newcomer).submit(url(thread), {"body": "My first words here"},
                                    action=f"{url(thread)}/reply")
    held = db.session.scalar(select(Post).where(Post.author_id == newcomer.id))
    assert held.held_at is not None
    assert "My first words here" not in primed(visitor, url(thread))
    moderator_browser.submit("/mod", {}, action=f"/mod/held/{held.id}/approve")
    assert "My first words here" in fresh(visitor, url(thread))


@pytest.fixture
def label(app):
    made = EvidenceLabel(name="In clinical trials", tone="info", position=0)
    db.session.add(made)
    db.session.commit()
    return made


def test_a_label_on_a_post_and_on_a_thread(visitor, moderator_browser, thread, category, label):
    primed(visitor, url(thread))
    moderator_browser.submit(url(thread), {"label": str(label.id), "note": ""},
                             action=f"/p/{reply_of(thread).id}/label")
    assert "In clinical trials" in primed(visitor, url(thread))
    before = primed(visitor, f"/c/{category.slug}")  # the filter names it once
    moderator_browser.submit(url(thread), {"label": str(label.id), "note": ""},
                             action=f"{url(thread)}/label")
    after = fresh(visitor, f"/c/{category.slug}")
    assert after.count("In clinical trials") > before.count("In clinical trials")


def test_lock_pin_and_move(visitor, moderator_browser, thread, category):
    primed(visitor, url(thread))
    moderator_browser.submit(url(thread), {"reason": "Getting heated today"},
                             action=f"{url(thread)}/lock")
    assert "Getting heated today" in primed(visitor, url(thread))
    before = primed(visitor, f"/c/{category.slug}")
    assert "Pinned" not in before
    moderator_browser.submit(url(thread), {}, action=f"{url(thread)}/pin")
    assert "Pinned" in fresh(visitor, f"/c/{category.slug}")
    other = make_category("treatments", "Treatments and trials")
    assert "Treatments and trials" not in primed(visitor, url(thread))
    moderator_browser.submit(url(thread), {"category": str(other.id)},
                             action=f"{url(thread)}/move")
    assert "Treatments and trials" in fresh(visitor, url(thread))
    assert "Cooling vests" in fresh(visitor, "/c/treatments")


def test_a_members_only_switch(visitor, moderator_browser, thread):
    assert "Reply number 2" in primed(visitor, url(thread))
    moderator_browser.submit(url(thread), {"members_only": "y", "reason": ""},
                             action=f"{url(thread)}/members-only")
    teaser = visitor.get(url(thread))
    assert teaser.headers["X-Page-Cache"] == "skip"
    assert "Reply number 2" not in teaser.get_data(as_text=True)


def test_a_category_rename(app, visitor, admin, thread, category):
    primed(visitor, url(thread))
    signed_in(app, admin).submit("/admin/categories", {
        "name": "Daily life with MS", "description": "", "position": "0"},
        action=f"/admin/categories/{category.id}")
    assert "Daily life with MS" in fresh(visitor, url(thread))


def test_a_display_name_and_a_profile_visibility(visitor, member_browser, member, thread):
    primed(visitor, url(thread))
    primed(visitor, f"/u/{member.username}")
    member_browser.submit("/settings", {"display_name": "Maria the Brave", "bio": "",
                                        "profile_visibility": "public"})
    assert "Maria the Brave" in fresh(visitor, url(thread))
    assert "Maria the Brave" in primed(visitor, f"/u/{member.username}")
    member_browser.submit("/settings", {"display_name": "Maria the Brave", "bio": "",
                                        "profile_visibility": "members"})
    closed = visitor.get(f"/u/{member.username}")
    assert closed.headers["X-Page-Cache"] == "skip"
    assert "Cooling vests" not in closed.get_data(as_text=True)


def test_an_articles_review_date(app, visitor, expert):
    research = make_category("research-news", "Research news")
    article = make_article(expert, research)
    article.reviewed_at -= timedelta(days=400)
    article.review_due_at -= timedelta(days=400)
    db.session.commit()
    before = primed(visitor, url(article))
    signed_in(app, expert).submit("/articles/review", {"note": ""},
                                  action=f"/t/{article.id}/reviewed")
    after = fresh(visitor, url(article))
    assert after != before and "Page last reviewed:" in after


def test_a_command_through_the_app_invalidates(app, visitor, thread, category):
    assert "2 replies" in primed(visitor, f"/c/{category.slug}")
    with db.engine.begin() as conn:  # behind the app's back: the cache cannot know
        conn.execute(text("UPDATE threads SET reply_count = 7"))
    assert "2 replies" in visitor.get(f"/c/{category.slug}").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["recount"])
    assert result.exit_code == 0, result.output
    assert "2 replies" in fresh(visitor, f"/c/{category.slug}")


# -- who gets a kept page ------------------------------------------------------------

def test_a_member_never_gets_a_kept_page(app, visitor, member, thread):
    primed(visitor, url(thread))
    browser = Browser(visitor)
    browser.login(member.username)
    page = visitor.get(url(thread))
    assert page.headers["X-Page-Cache"] == "skip"
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in page.headers
    assert "Sign out" in page.get_data(as_text=True)
    browser.logout()
    visitor.get(url(thread))  # "You are signed out", shown once
    assert visitor.get(url(thread)).headers["X-Page-Cache"] == "hit"


def test_members_only_text_never_enters_the_store(app, visitor, store, member, category):
    thread = make_discussion(member, category, title="Just among us", body="Only members.",
                             replies=1)
    thread.members_only = True
    db.session.commit()
    for path in (url(thread), f"{url(thread)}/top", f"{url(thread)}/search?q=reply",
                 "/", f"/c/{category.slug}", f"/u/{member.username}", "/search?q=reply",
                 "/feed.atom"):
        visitor.get(path)
        visitor.get(path)
    assert visitor.get(url(thread)).headers["X-Page-Cache"] == "skip"
    kept = b"".join(value or b"" for value in store.values())
    assert kept  # the public pages are kept
    assert b"Reply number 1" not in kept and b"Only members." not in kept


def test_a_flashed_message_is_never_kept(app, visitor, thread):
    token = csrf_token(primed(visitor, url(thread)))
    visitor.post("/settings/energy-saver", data={"csrf_token": token, "next": url(thread)})
    shown = visitor.get(url(thread))  # the message, in energy-saver mode
    assert shown.headers["X-Page-Cache"] == "skip"
    assert "Energy-saver mode is on." in shown.get_data(as_text=True)
    again = visitor.get(url(thread))
    assert again.headers["X-Page-Cache"] == "miss"
    assert "Energy-saver mode is on." not in again.get_data(as_text=True)


# -- headers and tokens ------------------------------------------------------------

def test_etag_304_and_cache_control(app, visitor, member_browser, thread):
    primed(visitor, url(thread))
    page = visitor.get(url(thread))
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert page.headers["ETag"].startswith('W/"')
    assert "Cookie" in page.headers["Vary"]
    again = visitor.get(url(thread), headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = app.test_client().get(url(thread), headers={"If-None-Match": page.headers["ETag"]})
    assert other.status_code == 200  # another visitor's token: their own copy

    feed = visitor.get("/feed.atom")
    assert feed.headers["Cache-Control"] == "public, no-cache"
    assert feed.headers["ETag"].startswith('"')
    assert visitor.get("/feed.atom", headers={"If-None-Match": feed.headers["ETag"]}
                       ).status_code == 304

    signed = member_browser.get(url(thread))
    assert signed.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in signed.headers and signed.headers["X-Page-Cache"] == "skip"


def test_a_hit_serves_the_visitors_own_token(app, visitor, thread):
    primed(visitor, url(thread))
    newcomer = app.test_client()
    page = newcomer.get(url(thread))
    assert page.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" in page.headers  # their session, with their own token
    token = csrf_token(page.get_data(as_text=True))
    assert token != csrf_token(visitor.get(url(thread)).get_data(as_text=True))
    switched = newcomer.post("/settings/energy-saver",
                             data={"csrf_token": token, "next": url(thread)})
    assert switched.status_code == 302
    saver = newcomer.get(url(thread))  # their preference is part of the key
    assert "energy-saver" in saver.get_data(as_text=True)


def test_reading_preferences_and_language_are_part_of_the_key(app, visitor, thread):
    english = primed(visitor, url(thread))
    spanish = app.test_client().get(url(thread), headers={"Accept-Language": "es"})
    assert spanish.headers["X-Page-Cache"] == "miss"
    assert spanish.get_data(as_text=True) != english
    visitor.set_cookie("reading", "large|0|0")
    assert visitor.get(url(thread)).headers["X-Page-Cache"] == "miss"


def test_a_store_that_fails_is_a_miss(app, visitor, thread):
    class Broken:
        def get(self, key):
            raise ConnectionError("down")

        def set(self, key, value, seconds):
            raise ConnectionError("down")

        def clear(self):
            pass

    primed(visitor, url(thread))
    app.extensions["page_cache"] = Broken()
    page = visitor.get(url(thread))
    assert page.status_code == 200 and page.headers["X-Page-Cache"] == "miss"


def test_a_thread_change_leaves_other_threads_kept(visitor, member_browser, member, thread,
                                                   category):
    other = make_discussion(member, category, title="Another thread", body="Hello")
    primed(visitor, url(other))
    db.session.get(Thread, thread.id).title = "Cooling vests in summer heat"
    db.session.commit()
    assert visitor.get(url(other)).headers["X-Page-Cache"] == "hit"
    assert "summer heat" in fresh(visitor, url(thread))


def test_a_reply_leaves_other_threads_kept(visitor, member_browser, member, thread, category):
    """A reply changes its thread's pages and the lists, not every page: the bulk
    statements it runs (the thread's counters, positions, index rows) say so."""
    other = make_discussion(member, category, title="Another thread", body="Hello")
    primed(visitor, url(other))
    primed(visitor, url(thread))
    primed(visitor, "/")
    member_browser.submit(url(thread), {"body": "Mine arrived today, it helps."},
                          action=f"{url(thread)}/reply")
    assert visitor.get(url(other)).headers["X-Page-Cache"] == "hit"
    assert "Mine arrived today" in fresh(visitor, url(thread))
    assert visitor.get("/").headers["X-Page-Cache"] == "miss"


def test_a_hit_renders_no_template_and_runs_one_statement(app, visitor, thread):
    from flask import template_rendered
    from sqlalchemy import event

    path = url(thread)
    primed(visitor, path)
    db.session.commit()  # the test's own objects stay as they are during the request
    statements, templates = [], []

    def count(*args, **kwargs):
        statements.append(args[2])

    def rendered(sender, template, context, **extra):
        templates.append(template.name)

    event.listen(db.engine, "before_cursor_execute", count)
    template_rendered.connect(rendered, app)
    try:
        page = visitor.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        template_rendered.disconnect(rendered, app)
    assert page.headers["X-Page-Cache"] == "hit"
    assert templates == []
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]  # SQLite's own BEGIN
    assert len(queries) == 1 and "FROM page_versions" in queries[0]


def test_a_page_kept_by_one_release_is_not_served_by_the_next(app, visitor, thread):
    """Two releases may share Redis while a deploy rolls: the key names the code."""
    primed(visitor, url(thread))
    release = app.extensions["page_cache_build"]
    try:
        app.extensions["page_cache_build"] = "the-next-release"
        assert visitor.get(url(thread)).headers["X-Page-Cache"] == "miss"
    finally:
        app.extensions["page_cache_build"] = release
    assert visitor.get(url(thread)).headers["X-Page-Cache"] == "hit"
