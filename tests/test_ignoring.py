"""Ignoring a member: their posts fold away, they notify nothing, staff cannot be
ignored, moderators see someone ignored by many; and muted members stay silent."""

from sqlalchemy import select

from forum import community
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import MemberIgnore, Notification, SafetyAlert
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user

FOLDED = "A post by someone you ignore — show"


def page(response):
    return response.get_data(as_text=True)


def press(browser, path):
    token = csrf_token(page(browser.get("/")))
    return browser.client.post(path, data={"csrf_token": token})


def notified(user):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def test_an_ignored_members_posts_fold_away_and_can_be_shown(member_browser, member,
                                                             other_member):
    thread = make_discussion(member, make_category(), title="Cooling vests")
    add_reply(thread, other_member, "Mine helps on hot days")
    profile = page(member_browser.get("/u/sam"))
    assert "Ignore this member" in profile
    done = press(member_browser, "/u/sam/ignore")
    assert done.status_code == 302 and done.headers["Location"].endswith("/u/sam")
    html = page(member_browser.get(f"/t/{thread.id}"))
    assert f"<summary>{FOLDED}</summary>" in html
    assert '<details class="ignored-post">' in html and "Mine helps on hot days" in html
    assert "Stop ignoring this member" in page(member_browser.get("/u/sam"))
    settings = page(member_browser.get("/settings/notifications"))
    assert "Ignored members" in settings and "/u/sam/unignore" in settings
    press(member_browser, "/u/sam/unignore")
    assert FOLDED not in page(member_browser.get(f"/t/{thread.id}"))


def test_others_and_visitors_see_the_posts_as_usual(client, member_browser, other_member,
                                                    member, moderator_browser):
    thread = make_discussion(other_member, make_category(), title="Sleep")
    press(member_browser, "/u/sam/ignore")
    assert FOLDED in page(member_browser.get(f"/t/{thread.id}"))
    assert FOLDED not in page(client.get(f"/t/{thread.id}"))
    assert FOLDED not in page(moderator_browser.get(f"/t/{thread.id}"))


def test_staff_and_oneself_cannot_be_ignored(member_browser, member, moderator, admin):
    for name in (moderator.username, admin.username):
        assert "Ignore this member" not in page(member_browser.get(f"/u/{name}"))
        refused = press(member_browser, f"/u/{name}/ignore")
        assert refused.status_code == 403
        assert "cannot be ignored" in page(refused)
    assert press(member_browser, "/u/maria/ignore").status_code == 403
    assert press(member_browser, "/u/nobody/ignore").status_code == 404
    assert db.session.scalar(select(MemberIgnore)) is None


def test_a_visitor_is_sent_to_sign_in_and_the_button_needs_csrf(client, member_browser,
                                                                 other_member):
    assert client.post("/u/sam/ignore").status_code in (302, 400)
    assert member_browser.client.post("/u/sam/ignore").status_code == 400
    assert db.session.scalar(select(MemberIgnore)) is None


def test_an_ignored_member_notifies_nothing(member_browser, member, other_member):
    thread = make_discussion(member, make_category(), title="Fatigue")
    press(member_browser, "/u/sam/ignore")
    add_reply(thread, other_member, "Reply to you, @maria")
    assert notified(member) == []


def test_muted_members_stay_silent_on_replies_and_mentions(member_browser, member,
                                                           other_member):
    thread = make_discussion(member, make_category(), title="Walking aids")
    token = csrf_token(page(member_browser.get("/u/sam")))
    member_browser.client.post("/u/sam/mute", data={"csrf_token": token, "action": "mute"})
    add_reply(thread, other_member, "A reply in your thread")
    other = make_discussion(other_member, make_category("elsewhere", "Elsewhere"),
                            title="Hello", body="Waving at @maria")
    add_reply(other, other_member, "And again @maria")
    assert notified(member) == []
    third = make_user("kit")
    add_reply(thread, third, "Someone not muted, @maria")
    assert len(notified(member)) == 1


def test_ignored_by_many_raises_one_alert_at_the_threshold(app, other_member):
    community.save(other_member, {"IGNORED_BY_MANY": 3})
    ignorers = [make_user(f"reader{n}") for n in range(4)]
    for n, user in enumerate(ignorers):
        browser = Browser(app.test_client())
        browser.login(user.username)
        press(browser, "/u/sam/ignore")
        db.session.expire_all()
        open_alerts = db.session.scalars(select(SafetyAlert)).all()
        assert len(open_alerts) == (0 if n < 2 else 1)
    assert open_alerts[0].kind == "ignored"
    assert open_alerts[0].key == f"ignored:user:{other_member.id}"
    assert open_alerts[0].detail == "Ignored by 4 members"
    moderator = make_user("mod_kim", role="moderator")
    browser = Browser(app.test_client())
    browser.login(moderator.username)
    html = page(browser.get("/mod"))
    assert "Accounts to look at (1)" in html and "ignored by many members" in html
