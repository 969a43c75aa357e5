"""Members-only threads (#14): a signed-out visitor reads only the title and the first
250 characters of the opening post; the words past that, the replies and the authors
never reach them, nor a mail, nor a feed read outside a session."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.domain import digests, mail, notifications
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import EmailChoice, OutboxMessage, Post, utcnow

from .conftest import Browser
from .factories import make_category, make_discussion

MARKER = "zebrafinch"
# 270 characters before the marker: the teaser (250, cut on a word) stops before it.
OPENING = ("Some days the tiredness is heavy and some days it lifts a little. " * 4
           + f"The rest is for members: {MARKER} and more.")


@pytest.fixture
def world(app, member, other_member):
    category = make_category()
    thread = make_discussion(member, category, title="Talking about bad days",
                             body=OPENING, tags=["fatigue"])
    thread.members_only = True
    member.email_notifications = EmailChoice.IMMEDIATE.value
    other_member.email_notifications = EmailChoice.DAILY.value
    db.session.commit()
    reply = add_reply(thread, other_member, f"A reply only members read: {MARKER}.")
    add_reply(thread, member, f"Thanks, that {MARKER} helps.")
    return {"thread": thread, "reply": reply, "category": category}


def _leaked(body):
    """Whether the marker is in `body` other than as the visitor's own query echoed back
    (the search box, the links that keep `?q=`)."""
    return MARKER in re.sub(rf'(q=|q%3D|value="|Search: |“){MARKER}', "", body)


def _get(client, path):
    return client.get(path, follow_redirects=True)


def test_a_member_creates_one_with_the_checkbox(app, member):
    category = make_category()
    browser = Browser(app.test_client())
    browser.login(member.username)
    response = browser.submit(f"/c/{category.slug}/new", {
        "title": "Just between us", "body": "Something I would rather keep among members.",
        "tags": "", "members_only": "y"})
    assert response.status_code == 302
    thread = db.session.scalar(select(Post).where(Post.is_opening)).thread
    assert thread.members_only is True
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Members only" in page and "Something I would rather keep" in page


def test_without_the_checkbox_a_discussion_is_public(app, member):
    category = make_category()
    browser = Browser(app.test_client())
    browser.login(member.username)
    browser.submit(f"/c/{category.slug}/new", {"title": "Open to all", "body": "Hello there all",
                                               "tags": ""})
    assert db.session.scalar(select(Post).where(Post.is_opening)).thread.members_only is False


def test_a_visitor_sees_title_and_excerpt_only(client, world, member, other_member):
    thread = world["thread"]
    response = client.get(f"/t/{thread.id}/{thread.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Talking about bad days" in page
    assert "Some days the tiredness is heavy" in page and "…" in page
    assert MARKER not in page
    assert other_member.username not in page and member.username not in page
    assert '<meta name="robots" content="noindex">' in page
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert f"/login?next=/t/{thread.id}/{thread.slug}" in page
    assert "Members only" in page


@pytest.mark.parametrize("suffix", ["?page=2", "/top", "/search?q=" + MARKER])
def test_every_page_of_it_is_the_teaser(client, world, suffix):
    thread = world["thread"]
    response = client.get(f"/t/{thread.id}{suffix}")
    assert response.status_code == 200
    assert not _leaked(response.get_data(as_text=True))
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_permalink_leads_to_the_teaser_without_saying_where(client, world):
    response = client.get(f"/p/{world['reply'].id}")
    assert response.status_code == 302
    assert "page=" not in response.headers["Location"] and "#p" not in response.headers["Location"]


def test_members_read_it_all(app, world, other_member):
    browser = Browser(app.test_client())
    browser.login(other_member.username)
    thread = world["thread"]
    page = browser.get(f"/t/{thread.id}/{thread.slug}").get_data(as_text=True)
    assert page.count(MARKER) >= 3 and "Members only" in page
    assert "noindex" not in page
    assert MARKER in browser.get(f"/search?q={MARKER}").get_data(as_text=True)
    assert "Talking about bad days" in browser.get("/").get_data(as_text=True)


def test_category_and_tag_pages_show_only_its_title_row(client, world, member):
    for path in (f"/c/{world['category'].slug}", "/tag/fatigue"):
        page = client.get(path).get_data(as_text=True)
        assert "Talking about bad days" in page and "Members only" in page
        assert member.username not in page and MARKER not in page


# -- the walk: every GET route as a signed-out visitor -------------------------------

# Routes a visitor cannot use: they need a session, a staff role or a mailed token the
# world has none of; each answers a redirect to sign in or a 404 (asserted below).
NEEDS_AN_ACCOUNT = {"static"}


def _fill(rule, world, member):
    thread, reply = world["thread"], world["reply"]
    values = {
        "thread_id": thread.id, "slug": thread.slug, "post_id": reply.id,
        "username": member.username, "name": "fatigue", "notification_id": 1, "alert_id": 1,
        "token": notifications.feed_token(member), "filename": "forum.css",
    }
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{argument}>", str(values[argument]), path)
    return path


def _walk(app, client, world, member):
    """Every GET route, filled from the world, with ?page=2 and ?q=; the bodies."""
    bodies = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NEEDS_AN_ACCOUNT:
            continue
        path = _fill(rule, world, member)
        for query in ("", "?page=2", f"?q={MARKER}"):
            response = _get(client, path + query)
            assert response.status_code < 500, path + query
            bodies[path + query] = response.get_data(as_text=True)
    return bodies


def _mails(member):
    db.session.execute(update(OutboxMessage).values(send_after=utcnow() - timedelta(hours=1)))
    db.session.commit()
    mail.send_pending(limit=100)
    digests.send_due(utcnow() + timedelta(days=8))
    return [f"{m.subject}\n{m.body}\n{m.html_body or ''}"
            for m in db.session.scalars(select(OutboxMessage))]


def test_the_marker_reaches_a_visitor_nowhere(app, client, world, member):
    leaks = [path for path, body in _walk(app, client, world, member).items()
             if _leaked(body)]
    assert leaks == []
    assert not [m for m in _mails(member) if MARKER in m]
    feed = client.get(f"/notifications/feed/{notifications.feed_token(member)}.atom")
    assert feed.status_code == 200 and MARKER not in feed.get_data(as_text=True)


def test_a_public_thread_with_the_marker_is_found_by_the_walk(app, client, world, member):
    """The negative case: the walk can fail."""
    world["thread"].members_only = False
    db.session.commit()
    leaks = [path for path, body in _walk(app, client, world, member).items()
             if _leaked(body)]
    assert any(path.startswith("/search") for path in leaks)
    assert any(path.startswith(f"/t/{world['thread'].id}") for path in leaks)
    assert any(path.startswith(f"/u/{member.username}") for path in leaks)


def test_mail_about_it_says_sign_in_to_read(app, world, member):
    bodies = _mails(member)
    assert any("sign in to read" in body for body in bodies)
