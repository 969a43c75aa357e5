"""The moderators' side of "someone may be at risk": open alerts first in /mod, the
members-only switch, private notes from templates, escalation, resolving, the log."""

import pytest
from sqlalchemy import select

from forum.domain import alerts
from forum.extensions import db
from forum.models import (
    AlertKind,
    ModerationEvent,
    Notification,
    OutboxMessage,
    Post,
    SafetyAlert,
    Thread,
)
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user


@pytest.fixture
def thread(member):
    return make_discussion(member, make_category(), title="A very hard week", replies=0)


@pytest.fixture
def crisis(thread):
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    alert = alerts.raise_alert(AlertKind.CRISIS, f"crisis:post:{opening.id}",
                               post=opening, subject=thread.author,
                               detail="want to die")
    db.session.commit()
    return alert


@pytest.fixture
def admin_browser(app, admin):
    browser = Browser(app.test_client())
    browser.login(admin.username)
    return browser


def page(response):
    return response.get_data(as_text=True)


def events(action):
    db.session.expire_all()
    return db.session.scalars(select(ModerationEvent).where(
        ModerationEvent.action == action)).all()


def mail_to(address):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == address)).all()


def test_an_at_risk_alert_comes_first_and_is_marked(moderator_browser, crisis, other_member):
    reader = alerts.raise_alert(AlertKind.FAST_READING, f"reading:user:{other_member.id}",
                                subject=other_member, detail="More than 3 per 1 minute")
    db.session.commit()
    html = page(moderator_browser.get("/mod"))
    at_risk = html.index("Someone may be at risk (1)")
    assert at_risk < html.index("Accounts to look at (1)") < html.index("Reports (")
    assert 'class="queue-item urgent"' in html and "flag-urgent" in html
    assert "Matched: want to die" in html and "A very hard week" in html
    assert f"/p/{crisis.post_id}" in html and "@maria" in html
    assert "reading faster than a person could" in html
    assert f"/mod/alerts/{reader.id}/resolve" in html


def test_members_only_switch_both_ways_is_logged_and_the_starter_told(
        moderator_browser, thread, member):
    thread_page = f"/t/{thread.id}"
    assert "Make the thread members-only" in page(moderator_browser.get(thread_page))
    on = moderator_browser.submit(thread_page, {"members_only": "y", "reason": "Privacy"},
                                  action=f"/t/{thread.id}/members-only")
    assert on.status_code == 302 and f"/t/{thread.id}/" in on.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).members_only is True
    assert "Open the thread to everyone" in page(moderator_browser.get(thread_page))
    off = moderator_browser.submit(thread_page, {"reason": ""},
                                   action=f"/t/{thread.id}/members-only")
    assert off.status_code == 302
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).members_only is False
    assert [e.reason for e in events("members-only: on")] == ["Privacy"]
    assert len(events("members-only: off")) == 1
    log = page(moderator_browser.get("/mod/log"))
    assert "members-only: on" in log and "Privacy" in log
    assert any("members only" in m.body for m in mail_to(member.email))


def test_a_private_note_from_a_template_reaches_the_author(
        app, moderator_browser, crisis, member):
    form = page(moderator_browser.get(f"/mod/alerts/{crisis.id}/note"))
    assert "Checking in" in form and "If you are in danger now" in form
    filled = page(moderator_browser.get(f"/mod/alerts/{crisis.id}/note?template=Checking+in"))
    assert "Samaritans on 116 123" in filled
    sent = moderator_browser.client.post(f"/mod/alerts/{crisis.id}/note", data={
        "csrf_token": csrf_token(filled), "body": "Hello Maria, we are here for you."})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/mod")
    db.session.expire_all()
    note = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert (note.kind, note.action, note.reason) == (
        "moderation", "note", "Hello Maria, we are here for you.")
    [mail] = [m for m in mail_to(member.email) if "private note" in m.subject]
    assert "Hello Maria, we are here for you." in mail.body
    assert crisis.post.body_source not in mail.body  # never the post's own text
    author = Browser(app.test_client())
    author.login(member.username)
    assert "A private note from a moderator: Hello Maria" in page(author.get("/notifications"))
    assert events("note")[0].reason == "Hello Maria, we are here for you."
    assert "private note" in page(moderator_browser.get("/mod/log"))


def test_an_empty_note_is_refused_and_nothing_sent(moderator_browser, crisis, member):
    form = page(moderator_browser.get(f"/mod/alerts/{crisis.id}/note"))
    refused = moderator_browser.client.post(f"/mod/alerts/{crisis.id}/note", data={
        "csrf_token": csrf_token(form), "body": "   "})
    assert refused.status_code == 200 and "Please write the note." in page(refused)
    assert not events("note") and not mail_to(member.email)


def test_escalating_tells_every_admin_and_keeps_the_alert(
        moderator_browser, admin_browser, crisis, admin):
    second = make_user("admin_two", role="admin")
    done = moderator_browser.submit("/mod", {"reason": "Needs a second look"},
                                    action=f"/mod/alerts/{crisis.id}/escalate")
    assert done.status_code == 302
    db.session.expire_all()
    alert = db.session.get(SafetyAlert, crisis.id)
    assert alert.escalated_at is not None and alert.resolved_at is None
    for user in (admin, second):
        assert db.session.scalar(select(Notification).where(
            Notification.user_id == user.id, Notification.action == "escalate"))
        assert any("admin" in m.subject for m in mail_to(user.email))
    html = page(moderator_browser.get("/mod"))
    assert "Escalated to admins" in html and "Someone may be at risk (1)" in html
    assert "asks the admins to look" in page(admin_browser.get("/notifications"))
    assert len(events("escalate")) == 1


def test_resolving_takes_it_off_the_queue_with_a_note(moderator_browser, crisis):
    done = moderator_browser.submit("/mod", {"note": "Spoke with them"},
                                    action=f"/mod/alerts/{crisis.id}/resolve")
    assert done.status_code == 302
    db.session.expire_all()
    alert = db.session.get(SafetyAlert, crisis.id)
    assert alert.resolved_at is not None and alert.resolution == "Spoke with them"
    assert "Someone may be at risk (0)" in page(moderator_browser.get("/mod"))
    again = moderator_browser.submit("/mod", {"note": ""},
                                     action=f"/mod/alerts/{crisis.id}/resolve")
    assert "already resolved" in page(moderator_browser.get(again.headers["Location"]))
    assert [e.reason for e in events("resolve alert")] == ["Spoke with them"]


@pytest.mark.parametrize("path", ["/mod/alerts/{id}/note", "/mod/alerts/{id}/escalate",
                                  "/mod/alerts/{id}/resolve", "/mod/templates",
                                  "/t/{thread}/members-only"])
def test_members_may_not_and_visitors_sign_in(client, member_browser, crisis, thread, path):
    path = path.format(id=crisis.id, thread=thread.id)
    token = csrf_token(page(member_browser.get("/")))
    assert member_browser.client.post(path, data={"csrf_token": token}).status_code == 403
    assert client.post(path).status_code in (302, 400)
    assert member_browser.get("/mod").status_code == 403


def test_alert_actions_refuse_a_missing_csrf_token(moderator_browser, crisis):
    for action in ("escalate", "resolve"):
        assert moderator_browser.client.post(
            f"/mod/alerts/{crisis.id}/{action}").status_code == 400
    db.session.expire_all()
    alert = db.session.get(SafetyAlert, crisis.id)
    assert alert.escalated_at is None and alert.resolved_at is None


def test_note_templates_are_edited_and_validated(moderator_browser):
    html = page(moderator_browser.get("/mod/templates"))
    assert "## Checking in" in html
    saved = moderator_browser.submit("/mod/templates", {
        "templates": "## Hello\nA short kind note.\n\n## Members only\nWhy it changed."})
    assert saved.status_code == 302
    assert [e.action for e in events("setting")] == ["setting"]
    assert "Members only" in page(moderator_browser.get("/mod/templates"))
    for text, message in [("## Same\nOne.\n## same\nTwo.", "Two templates are called"),
                          ("No heading here", "Start with a line"),
                          ("## Empty\n\n", "has no text under its name"),
                          ("", "Please keep at least one template")]:
        refused = moderator_browser.submit("/mod/templates", {"templates": text})
        assert refused.status_code == 200, text
        assert message in page(refused) and text.strip() in page(refused)
    assert len(events("setting")) == 1
