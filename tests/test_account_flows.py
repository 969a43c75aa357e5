"""Confirmation, resets, sessions, settings, verification and leaving, through HTTP."""

import json
import re
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, Table, func, inspect, select

from forum.domain.members import suspend
from forum.extensions import db
from forum.models import ExpertVerification, OutboxMessage, Post, PostRevision, User, utcnow
from tests.conftest import PASSWORD, Browser
from tests.factories import make_category, make_discussion


def outbox(recipient=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return db.session.scalars(query).all()


def link_in(message):
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def user_named(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def register(browser, username="newbie", email="newbie@example.org"):
    return browser.submit("/register", {"username": username, "email": email,
                                        "password": "a calm long password",
                                        "confirm": "a calm long password", "agree": "y"})


def test_registration_mails_a_confirmation_link_that_confirms(browser):
    register(browser)
    (message,) = outbox("newbie@example.org")
    assert message.sent_at is not None and "confirm" in message.subject.lower()

    link = link_in(message)
    assert browser.get(link).status_code == 200  # a page with a button: nothing changes yet
    assert user_named("newbie").confirmed_at is None
    browser.submit(link, {})
    assert user_named("newbie").confirmed_at is not None
    page = browser.get("/").get_data(as_text=True)
    assert "Sign out" in page and "Please confirm your email" not in page


def test_a_forged_confirmation_link_changes_nothing(browser):
    register(browser)
    response = browser.submit("/confirm/not-a-real-token", {}, follow_redirects=True)
    assert "invalid or has expired" in response.get_data(as_text=True)
    assert user_named("newbie").confirmed_at is None


def test_common_passwords_are_refused(browser):
    response = browser.submit("/register", {"username": "newbie", "email": "n@example.org",
                                            "password": "qwertyuiop", "confirm": "qwertyuiop",
                                            "agree": "y"})
    assert "most common" in response.get_data(as_text=True)
    assert user_named("newbie") is None


def test_reset_says_the_same_for_known_and_unknown_addresses(browser, member):
    known = browser.submit("/reset", {"email": "maria@example.org"}, follow_redirects=True)
    unknown = browser.submit("/reset", {"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    message = "If an account uses that address"
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert [m.recipient for m in outbox()] == ["maria@example.org"]


def test_reset_link_works_once_and_signs_out_every_other_browser(app, browser, member):
    elsewhere = Browser(app.test_client())
    elsewhere.login("maria")
    browser.submit("/reset", {"email": "maria@example.org"})
    link = link_in(outbox()[-1])

    changed = browser.submit(link, {"password": "a brand new passphrase",
                                    "confirm": "a brand new passphrase"})
    assert changed.status_code == 302
    assert "Sign in" in elsewhere.get("/").get_data(as_text=True)  # signed out there
    again = browser.get(link, follow_redirects=True)
    assert "invalid, used or expired" in again.get_data(as_text=True)
    refused = browser.submit("/login", {"username": "maria", "password": PASSWORD})
    assert refused.status_code == 200
    browser.login("maria", "a brand new passphrase")


def test_sign_out_ends_the_session_on_the_server(app, member):
    browser = Browser(app.test_client())
    browser.submit("/login", {"username": "maria", "password": PASSWORD, "remember": "y"})
    stolen = {cookie.key: cookie.value for cookie in browser.client._cookies.values()}
    browser.logout()

    replay = app.test_client()
    for name, value in stolen.items():
        replay.set_cookie(name, value)
    page = replay.get("/").get_data(as_text=True)
    assert "Sign out" not in page and "Sign in" in page


def test_password_change_keeps_this_browser_and_signs_out_the_others(app, member_browser):
    other = Browser(app.test_client())
    other.submit("/login", {"username": "maria", "password": PASSWORD, "remember": "y"})

    wrong = member_browser.submit("/settings", {"current_password": "wrong one here",
                                                "new_password": "another long phrase",
                                                "confirm": "another long phrase"},
                                  action="/settings/password")
    assert "not your current password" in wrong.get_data(as_text=True)

    ok = member_browser.submit("/settings", {"current_password": PASSWORD,
                                             "new_password": "another long phrase",
                                             "confirm": "another long phrase"},
                               action="/settings/password")
    assert ok.status_code == 302
    assert "Sign out" in member_browser.get("/").get_data(as_text=True)
    assert "Sign out" not in other.get("/").get_data(as_text=True)


def test_email_change_waits_for_the_new_address_to_confirm(member_browser, member):
    refused = member_browser.submit("/settings", {"new_email": "new@example.org",
                                                  "current_password": "not it at all"},
                                    action="/settings/email")
    assert "not your current password" in refused.get_data(as_text=True)
    assert 'value="new@example.org"' in refused.get_data(as_text=True)

    member_browser.submit("/settings", {"new_email": "new@example.org",
                                        "current_password": PASSWORD}, action="/settings/email")
    assert user_named("maria").email == "maria@example.org"
    (message,) = outbox("new@example.org")
    member_browser.submit(link_in(message), {})
    assert user_named("maria").email == "new@example.org"


def test_changing_to_a_taken_address_says_nothing_and_tells_its_owner(member_browser, member,
                                                                      other_member):
    new = member_browser.submit("/settings", {"new_email": "fresh@example.org",
                                              "current_password": PASSWORD},
                                action="/settings/email")
    taken = member_browser.submit("/settings", {"new_email": "SAM@example.org",
                                                "current_password": PASSWORD},
                                  action="/settings/email")
    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"]
    (notice,) = outbox("sam@example.org")
    assert "asked to change" in notice.body and "/settings/email/" not in notice.body
    assert user_named("maria").email == "maria@example.org"
    own = member_browser.submit("/settings", {"new_email": "maria@example.org",
                                              "current_password": PASSWORD},
                                action="/settings/email")
    assert "already your address" in own.get_data(as_text=True)


def test_profile_settings_show_on_the_profile(member_browser):
    response = member_browser.submit("/settings", {"display_name": "Maria R",
                                                   "bio": "Diagnosed 2019. Loves <b>tea</b>."})
    assert response.status_code == 302
    page = member_browser.get("/u/maria").get_data(as_text=True)
    assert "Maria R" in page and "Loves &lt;b&gt;tea&lt;/b&gt;." in page


def test_reading_preferences_apply_on_every_page(member_browser, client):
    member_browser.submit("/settings/preferences", {"text_size": "largest", "high_contrast": "y"})
    for path in ("/", "/u/maria", "/settings"):
        page = member_browser.get(path).get_data(as_text=True)
        assert 'class="text-largest contrast-high"' in page, path

    visitor = Browser(client)
    visitor.submit("/settings/preferences", {"text_size": "large"})
    assert 'class="text-large"' in visitor.get("/login").get_data(as_text=True)
    client.set_cookie("reading", "<script>|1")
    assert 'class="text-normal contrast-high"' in client.get("/").get_data(as_text=True)


def test_energy_saver_mode_switches_from_any_page_and_in_settings(member_browser, client):
    visitor = Browser(client)
    visitor.submit("/login", {}, action="/settings/energy-saver")
    assert "energy-saver" in visitor.get("/").get_data(as_text=True).split(">", 2)[1]
    assert "Turn energy-saver mode off" in visitor.get("/").get_data(as_text=True)
    visitor.submit("/", {}, action="/settings/energy-saver")
    assert "energy-saver" not in visitor.get("/").get_data(as_text=True).split(">", 2)[1]

    member_browser.submit("/settings/preferences", {"text_size": "normal", "energy_saver": "y"})
    assert 'class="text-normal energy-saver"' in member_browser.get("/u/maria").get_data(
        as_text=True)
    assert user_named("maria").energy_saver


def test_expert_verification_from_request_to_badge_and_back(app, member_browser, admin):
    details = {"credentials": "MS specialist nurse", "affiliation": "City MS service",
               "register_name": "NMC", "register_number": "12A3456E",
               "evidence_url": "https://example.org/register/12A3456E"}
    bad = member_browser.submit("/settings/verification", {**details, "evidence_url": "nope"})
    assert "full web address" in bad.get_data(as_text=True)
    assert member_browser.submit("/settings/verification", details).status_code == 302

    admin_browser = Browser(app.test_client())
    admin_browser.login("admin_lee")
    queue = admin_browser.get("/admin/verifications").get_data(as_text=True)
    assert "12A3456E" in queue and "MS specialist nurse" in queue
    request_id = re.search(r'action="/admin/verifications/(\d+)"', queue).group(1)
    decided = admin_browser.submit("/admin/verifications", {
        "decision": "approve", "checked_register": "y", "checked_number": "y",
        "reason": "Found on the NMC register."}, action=f"/admin/verifications/{request_id}")
    assert decided.status_code == 302

    maria = user_named("maria")
    # Being an expert is the approved verification; the role stays what it was.
    assert maria.role == "member" and maria.verification.checked_register
    assert not maria.verification.checked_link
    profile = member_browser.get("/u/maria").get_data(as_text=True)
    assert "Verified expert" in profile and "NMC" in profile
    assert "12A3456E" not in profile  # the number is for admins only
    assert any("verified expert" in m.subject for m in outbox("maria@example.org"))

    admin_browser.submit("/u/maria", {"reason": "Registration lapsed."},
                         action="/u/maria/revoke-expert")
    maria = user_named("maria")
    assert maria.role == "member" and not maria.is_verified_expert
    assert "Verified expert" not in member_browser.get("/u/maria").get_data(as_text=True)


def _admin_row(admin_browser, username):
    users = admin_browser.get(f"/admin/users?q={username}").get_data(as_text=True)
    return re.search(rf"<tr>(?:(?!</tr>).)*>{username}</a>(?:(?!</tr>).)*</tr>", users,
                     re.S).group(0)


def test_a_revoked_expert_stops_publishing_and_loses_the_badge_but_stays_a_member(
        app, expert, admin):
    make_category()
    expert_browser, admin_browser = Browser(app.test_client()), Browser(app.test_client())
    expert_browser.login("dr_nair")
    admin_browser.login("admin_lee")
    assert expert_browser.get("/articles/new").status_code == 200
    assert "Verified expert" in expert_browser.get("/u/dr_nair").get_data(as_text=True)
    assert "expert (verified)" in _admin_row(admin_browser, "dr_nair")

    revoked = admin_browser.submit("/admin/users/dr_nair", {"reason": "Registration lapsed."},
                                   action="/u/dr_nair/revoke-expert")
    assert revoked.status_code == 302

    refused = expert_browser.get("/articles/new")
    assert refused.status_code == 403 and "Only verified experts" in refused.get_data(
        as_text=True)
    assert "Verified expert" not in expert_browser.get("/u/dr_nair").get_data(as_text=True)
    row = _admin_row(admin_browser, "dr_nair")
    assert "member" in row and "expert" not in row
    assert "role: member" in admin_browser.get("/admin/users/dr_nair").get_data(as_text=True)
    assert user_named("dr_nair").role == "member"


def test_an_expert_made_moderator_and_back_keeps_the_verification(app, expert, admin):
    admin_browser = Browser(app.test_client())
    admin_browser.login("admin_lee")
    assert admin_browser.submit("/admin/users/dr_nair", {"role": "moderator"},
                                action="/admin/users/dr_nair/role").status_code == 302
    dr_nair = user_named("dr_nair")
    assert dr_nair.role == "moderator" and dr_nair.is_verified_expert
    profile = admin_browser.get("/u/dr_nair").get_data(as_text=True)
    assert "Verified expert" in profile and "Moderator" in profile
    assert "moderator (verified)" in _admin_row(admin_browser, "dr_nair")

    admin_browser.submit("/admin/users/dr_nair", {"role": "member"},
                         action="/admin/users/dr_nair/role")
    dr_nair = user_named("dr_nair")
    assert dr_nair.role == "member" and dr_nair.is_verified_expert
    page = admin_browser.get("/admin/users/dr_nair").get_data(as_text=True)
    assert "role: expert" in page
    assert "expert → moderator" in page and "moderator → expert" in page


def test_export_holds_profile_and_everything_written(member_browser, member):
    thread = make_discussion(member, make_category(), title="My first thread here",
                             body="Some *words* of mine")
    response = member_browser.get("/settings/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "maria@example.org"
    assert data["threads"][0]["title"] == thread.title
    assert data["posts"][0]["body"] == "Some *words* of mine"


def _all_text_in_database():
    found = []
    # SQLite cannot reflect expression indexes; only the rows matter here.
    with warnings.catch_warnings(), db.engine.connect() as conn:
        warnings.simplefilter("ignore")
        for name in inspect(conn).get_table_names():
            table = Table(name, MetaData(), autoload_with=conn)
            for row in conn.execute(select(table)):
                found.extend(str(value) for value in row if value is not None)
    return "\n".join(found)


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_deleting_an_account_leaves_no_personal_data(app, member_browser, member, other_member,
                                                     choice):
    member_browser.submit("/settings", {"display_name": "Maria R",
                                        "bio": "My very identifiable biography"})
    thread = make_discussion(other_member, make_category(), title="A thread to reply in",
                             replies=1, repliers=[member])
    mine = db.session.scalar(select(Post).where(Post.author_id == member.id))
    member_browser.submit(f"/p/{mine.id}/edit", {"body": "Edited: an earlier private detail"})
    member_browser.submit(f"/p/{mine.id}/edit", {"body": "Reply number 1"})
    wrong = member_browser.submit("/settings/delete", {"posts": choice, "password": "nope nope"})
    assert "not your password" in wrong.get_data(as_text=True)

    done = member_browser.submit("/settings/delete", {"posts": choice, "password": PASSWORD})
    assert done.status_code == 302

    everything = _all_text_in_database()
    assert "maria@example.org" not in everything
    assert "My very identifiable biography" not in everything and "Maria R" not in everything
    page = member_browser.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Sign in" in page and "a former member" in page
    assert db.session.scalar(select(func.count(PostRevision.id)).where(
        PostRevision.editor_id == member.id)) == 0
    if choice == "keep":
        assert "Reply number 1" in page
    else:
        assert "Reply number 1" not in page and "Deleted by the author." in page
        assert db.session.scalar(select(Post.body_source).where(Post.author_id == member.id)) == ""
        assert "an earlier private detail" not in everything
    assert Browser(app.test_client()).submit(
        "/login", {"username": "maria", "password": PASSWORD}).status_code == 200


ACCOUNT_PAGES = {
    #  path                       anonymous  member  expert  moderator  admin
    "/settings":                 ("login",   200,    200,    200,       200),
    "/settings/verification":    ("login",   200,    200,    200,       200),
    "/settings/export":          ("login",   200,    200,    200,       200),
    "/settings/delete":          ("login",   200,    200,    200,       200),
    "/settings/preferences":     (200,       200,    200,    200,       200),
    "/admin/verifications":      ("login",   403,    403,    403,       200),
}


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_who_reaches_which_account_page(app, member, expert, moderator, admin, path):
    for user, expected in zip([None, member, expert, moderator, admin], ACCOUNT_PAGES[path],
                              strict=True):
        browser = Browser(app.test_client())
        if user is not None:
            browser.login(user.username)
        response = browser.get(path)
        if expected == "login":
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login?next="), path
        else:
            assert response.status_code == expected, (path, user and user.role)


def test_admin_actions_are_refused_to_members(member_browser, expert):
    assert member_browser.submit("/", {"reason": "x"},
                                 action="/u/dr_nair/revoke-expert").status_code == 403
    assert member_browser.submit("/", {"decision": "approve"},
                                 action="/admin/verifications/1").status_code == 403


def test_mail_links_ignore_the_requests_host_header(client, member):
    from tests.conftest import csrf_token

    evil = {"Host": "evil.example"}
    token = csrf_token(client.get("/reset", headers=evil).get_data(as_text=True))
    client.post("/reset", data={"csrf_token": token, "email": "maria@example.org"},
                headers=evil)
    (message,) = outbox("maria@example.org")
    assert "evil.example" not in message.body
    assert "http://127.0.0.1:5000/reset/" in message.body


def test_an_admin_cannot_approve_their_own_verification(app, admin):
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin.username)
    assert admin_browser.submit("/settings/verification", {
        "credentials": "Neurologist", "affiliation": "Teaching hospital",
        "register_name": "GMC", "register_number": "7654321",
        "evidence_url": "https://example.org/gmc/7654321"}).status_code == 302
    queue = admin_browser.get("/admin/verifications").get_data(as_text=True)
    assert "Another admin decides your own request." in queue
    request_id = db.session.scalar(select(ExpertVerification.id))
    refused = admin_browser.submit("/admin/verifications", {
        "decision": "approve", "checked_register": "y", "reason": "It is me."},
        action=f"/admin/verifications/{request_id}")
    assert refused.status_code == 403
    assert db.session.get(ExpertVerification, request_id).status == "pending"


def test_a_suspended_member_keeps_settings_but_not_the_public_profile(app, member_browser,
                                                                       member, moderator):
    suspend(member, moderator, utcnow() + timedelta(days=3), "Cooling off")
    page = member_browser.get("/settings").get_data(as_text=True)
    assert "Save profile" not in page and "suspended until" in page
    refused = member_browser.submit("/settings", {"display_name": "New name", "bio": "Hi"})
    assert refused.status_code == 403
    assert user_named("maria").display_name == ""
    reading = member_browser.submit("/settings/preferences", {"text_size": "large"})
    assert reading.status_code == 302


def test_joining_says_every_problem_at_once(client):
    """A short password and an unticked box must not hide a bad username and address
    until the next try: on a bad day, one round of corrections is enough."""
    page = Browser(client).submit("/register", {
        "username": "x", "email": "bad", "password": "short", "confirm": "short"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for message in ("Usernames are 3 to 30 characters", "That email address is not valid",
                    "Passwords need at least 10 characters", "Please tick this box"):
        assert message in html, message
    assert db.session.scalar(select(func.count(User.id))) == 0
