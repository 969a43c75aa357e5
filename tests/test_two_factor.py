"""Two-step sign-in: turning it on, signing in with an app code or a recovery code,
turning it off, and the requirement for moderators and admins."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from forum.config import load_config
from forum.extensions import db
from forum.models import OutboxMessage, RecoveryCode, Thread, User
from tests.conftest import PASSWORD, Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user

RECOVERY_CODE = r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>"


def _secret(html: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert match, "no set-up key on the page"
    return match.group(1).replace(" ", "")


def _code(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + steps_ahead * totp.interval)


def _next_code(secret: str) -> str:
    """A code newer than the one `turn_on` used, whenever the clock ticks: a phone a
    little ahead of the server. A code is never accepted twice."""
    return _code(secret, steps_ahead=1)


def turn_on(browser: Browser) -> tuple[str, list[str]]:
    """Set up two-step sign-in as a person would; returns the secret and recovery codes."""
    page = browser.get("/settings/two-factor")
    assert page.status_code == 200
    secret = _secret(page.get_data(as_text=True))
    response = browser.submit("/settings/two-factor", {
        "code": _code(secret), "password": PASSWORD,
    }, action="/settings/two-factor/enable")
    assert response.status_code == 200
    codes = re.findall(RECOVERY_CODE, response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _password_step(browser, username, next_path=None):
    path = "/login" + (f"?next={next_path}" if next_path else "")
    return browser.submit(path, {"username": username, "password": PASSWORD})


def _signed_in(browser) -> bool:
    return browser.get("/settings").status_code == 200


def test_setting_up_shows_a_key_and_a_qr_code_then_asks_for_a_code(member_browser, member):
    page = member_browser.get("/settings/two-factor")
    html = page.get_data(as_text=True)
    assert "Key, if you type it in" in html
    qr = member_browser.get("/settings/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<svg" in qr.data

    wrong = member_browser.submit("/settings/two-factor", {
        "code": "000000", "password": PASSWORD}, action="/settings/two-factor/enable")
    assert wrong.status_code == 200
    text = wrong.get_data(as_text=True)
    assert "That code does not match" in text
    assert 'value="000000"' in text  # what was typed is kept
    assert _secret(text) == _secret(html)  # the same key, so the app need not be redone

    bad_password = member_browser.submit("/settings/two-factor", {
        "code": _code(_secret(html)), "password": "not my password"},
        action="/settings/two-factor/enable")
    assert "That is not your current password" in bad_password.get_data(as_text=True)
    db.session.refresh(member)
    assert not member.has_two_factor

    turn_on(member_browser)
    db.session.refresh(member)
    assert member.has_two_factor
    assert db.session.query(RecoveryCode).filter_by(user_id=member.id).count() == 10
    assert member_browser.get("/settings/two-factor/qr.svg").status_code == 404


def test_sign_in_asks_for_the_code_after_the_password(app, member_browser, member):
    secret, _ = turn_on(member_browser)
    member_browser.logout()

    response = _password_step(member_browser, member.username, next_path="/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/code")
    assert not _signed_in(member_browser)  # the password alone signs no one in

    wrong = member_browser.submit(response.headers["Location"], {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code does not match" in wrong.get_data(as_text=True)

    code = _next_code(secret)
    right = member_browser.submit(response.headers["Location"], {"code": code})
    assert right.status_code == 302
    assert right.headers["Location"] == "/settings"
    assert _signed_in(member_browser)

    # The same code cannot be used again, by this browser or a thief's.
    thief = Browser(app.test_client())
    step = _password_step(thief, member.username)
    replay = thief.submit(step.headers["Location"], {"code": code})
    assert replay.status_code == 200
    assert not _signed_in(thief)


def test_a_recovery_code_signs_in_once(app, member_browser, member):
    _, codes = turn_on(member_browser)
    member_browser.logout()

    step = _password_step(member_browser, member.username)
    used = member_browser.submit(step.headers["Location"], {"code": codes[0].upper()})
    assert used.status_code == 302
    assert _signed_in(member_browser)
    member_browser.logout()

    step = _password_step(member_browser, member.username)
    again = member_browser.submit(step.headers["Location"], {"code": codes[0]})
    assert again.status_code == 200
    assert not _signed_in(member_browser)


def test_the_password_step_expires(member_browser, member):
    secret, _ = turn_on(member_browser)
    member_browser.logout()
    step = _password_step(member_browser, member.username)
    with member_browser.client.session_transaction() as session:
        pending = session["two_factor_pending"]
        session["two_factor_pending"] = {**pending, "at": pending["at"] - 600}
    late = member_browser.submit("/login", {"code": _next_code(secret)},
                                 action=step.headers["Location"])
    assert late.status_code == 302
    assert late.headers["Location"].startswith("/login")
    assert not _signed_in(member_browser)


def test_the_code_page_without_a_password_step_goes_back_to_sign_in(client):
    response = client.get("/login/code")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_turning_off_and_new_codes_need_the_password_and_a_code(member_browser, member):
    secret, old_codes = turn_on(member_browser)

    refused = member_browser.submit("/settings/two-factor", {
        "password": PASSWORD, "code": "999999"}, action="/settings/two-factor/disable")
    assert refused.status_code == 200
    db.session.refresh(member)
    assert member.has_two_factor

    fresh = member_browser.submit("/settings/two-factor", {
        "password": PASSWORD, "code": old_codes[1]},
        action="/settings/two-factor/recovery-codes")
    new_codes = re.findall(RECOVERY_CODE, fresh.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    off = member_browser.submit("/settings/two-factor", {
        "password": PASSWORD, "code": _next_code(secret)}, action="/settings/two-factor/disable")
    assert off.status_code == 302
    db.session.refresh(member)
    assert not member.has_two_factor
    assert db.session.query(RecoveryCode).filter_by(user_id=member.id).count() == 0


@pytest.fixture
def staff_two_factor_required(app):
    app.config["REQUIRE_STAFF_TWO_FACTOR"] = True
    yield
    app.config["REQUIRE_STAFF_TWO_FACTOR"] = False


def test_staff_must_turn_it_on_before_moderating(staff_two_factor_required, app, moderator,
                                                  member):
    thread = make_discussion(member, make_category())
    browser = Browser(app.test_client())
    browser.login(moderator.username)

    for path in ("/mod", f"/t/{thread.id}", "/"):
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/settings/two-factor"
    locked = browser.client.post(f"/t/{thread.id}/lock", data={
        "csrf_token": csrf_token(browser.get("/settings/two-factor").get_data(as_text=True)),
        "reason": "Going in circles"})
    assert locked.status_code == 302
    assert db.session.get(Thread, thread.id).locked_at is None

    secret, _ = turn_on(browser)
    assert browser.get("/mod").status_code == 200

    # Next time, signing in takes both steps.
    browser.logout()
    step = _password_step(browser, moderator.username)
    assert step.headers["Location"].startswith("/login/code")
    assert browser.submit(step.headers["Location"], {"code": _next_code(secret)}).status_code == 302
    assert browser.get("/mod").status_code == 200


def test_members_are_not_made_to_use_it(staff_two_factor_required, member_browser):
    assert member_browser.get("/").status_code == 200
    assert member_browser.get("/settings").status_code == 200


def test_required_for_staff_by_default_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    assert load_config(tmp_path)["REQUIRE_STAFF_TWO_FACTOR"] is True
    monkeypatch.setenv("REQUIRE_STAFF_TWO_FACTOR", "false")
    assert load_config(tmp_path)["REQUIRE_STAFF_TWO_FACTOR"] is False
    monkeypatch.delenv("FORUM_ENV")
    monkeypatch.delenv("REQUIRE_STAFF_TWO_FACTOR")
    assert load_config(tmp_path)["REQUIRE_STAFF_TWO_FACTOR"] is False


def test_the_secret_never_leaves_in_the_data_export(member_browser, member):
    secret, _ = turn_on(member_browser)
    sealed = db.session.get(User, member.id).totp_secret
    export = member_browser.get("/settings/export")
    assert export.status_code == 200
    assert secret not in export.get_data(as_text=True)
    assert sealed not in export.get_data(as_text=True)


def test_an_admin_can_turn_it_off_for_a_member_who_lost_everything(app, member_browser, member,
                                                                   admin):
    turn_on(member_browser)
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin.username)
    page = f"/admin/users/{member.username}"
    assert "Turn off their two-step sign-in" in admin_browser.get(page).get_data(as_text=True)

    # A moderator may not, and nor may an admin for their own account.
    mod = make_user_browser(app, "mod_kim", "moderator")
    refused = mod.client.post(f"{page}/two-factor/reset", data={
        "csrf_token": csrf_token(mod.get("/").get_data(as_text=True)), "reason": "asked"})
    assert refused.status_code == 403
    own = admin_browser.submit(f"/admin/users/{admin.username}", {"reason": "mine"},
                               action=f"/admin/users/{admin.username}/two-factor/reset")
    assert own.status_code == 403

    done = admin_browser.submit(page, {"reason": "Phone lost; checked by email"},
                                action=f"{page}/two-factor/reset")
    assert done.status_code == 302
    db.session.refresh(member)
    assert not member.has_two_factor
    assert "two-factor reset" in admin_browser.get("/mod/log").get_data(as_text=True)

    member_browser.logout()
    assert _password_step(member_browser, member.username).headers["Location"] == "/"


def make_user_browser(app, username, role):
    make_user(username, role=role)
    browser = Browser(app.test_client())
    browser.login(username)
    return browser


def _mails(user, what):
    return [m for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == user.id)) if what in m.subject + m.body]


def test_every_change_is_mailed_to_the_owner(member_browser, member):
    secret, codes = turn_on(member_browser)
    assert _mails(member, "two-step sign-in was turned on")
    member_browser.logout()
    step = _password_step(member_browser, member.username)
    member_browser.submit(step.headers["Location"], {"code": codes[2]})
    assert _mails(member, "a recovery code was used to sign in")
    member_browser.submit("/settings/two-factor", {
        "password": PASSWORD, "code": _next_code(secret)}, action="/settings/two-factor/disable")
    mail = _mails(member, "two-step sign-in was turned off")
    assert mail and "choose a new one now" in mail[0].body
    assert secret not in "".join(m.body for m in _mails(member, ""))


def test_turning_it_on_signs_out_browsers_that_used_only_the_password(app, member_browser,
                                                                      member):
    elsewhere = Browser(app.test_client())
    elsewhere.login(member.username)
    turn_on(member_browser)
    assert not _signed_in(elsewhere)
    assert _signed_in(member_browser)


def test_a_set_up_key_does_not_pass_to_the_next_person_at_the_browser(app, member_browser,
                                                                       other_member):
    first = _secret(member_browser.get("/settings/two-factor").get_data(as_text=True))
    member_browser.logout()
    member_browser.login(other_member.username)
    second = _secret(member_browser.get("/settings/two-factor").get_data(as_text=True))
    assert first != second


def test_secrets_and_codes_are_never_cached(member_browser):
    page = member_browser.get("/settings/two-factor")
    assert page.headers["Cache-Control"] == "no-store"
    secret = _secret(page.get_data(as_text=True))
    codes = member_browser.submit("/settings/two-factor", {
        "code": _code(secret), "password": PASSWORD}, action="/settings/two-factor/enable")
    assert codes.headers["Cache-Control"] == "no-store"


def test_deleting_the_account_removes_the_secret_and_codes(member_browser, member):
    turn_on(member_browser)
    deleted = member_browser.submit("/settings/delete", {"password": PASSWORD})
    assert deleted.status_code == 302
    user = db.session.get(User, member.id)
    assert user.deleted_at is not None and user.totp_secret is None
    assert db.session.query(RecoveryCode).filter_by(user_id=member.id).count() == 0


def test_an_admin_reset_needs_a_reason_and_signs_the_member_out(app, member_browser, member,
                                                               admin):
    turn_on(member_browser)
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin.username)
    page = f"/admin/users/{member.username}"
    empty = admin_browser.submit(page, {"reason": ""}, action=f"{page}/two-factor/reset")
    assert empty.status_code == 200 and "Please give a reason" in empty.get_data(as_text=True)
    db.session.refresh(member)
    assert member.has_two_factor
    admin_browser.submit(page, {"reason": "Checked by video call"},
                         action=f"{page}/two-factor/reset")
    assert not _signed_in(member_browser)
    mail = _mails(member, "turned off by an admin")
    assert mail and "Checked by video call" in mail[0].body


def test_the_old_address_hears_of_an_email_change(member_browser, member):
    member_browser.submit("/settings", {"new_email": "new@example.org",
                                        "current_password": PASSWORD},
                          action="/settings/email")
    link = re.search(r"/settings/email/(\S+)", _mails(member, "/settings/email/")[0].body)
    member_browser.submit(link.group(0), {})
    warning = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "maria@example.org",
        OutboxMessage.subject.contains("email address was changed")))
    assert warning is not None and "new@example.org" in warning.body


def test_staff_without_it_still_get_404s_and_no_piled_up_notices(staff_two_factor_required,
                                                                   app, moderator):
    browser = Browser(app.test_client())
    browser.login(moderator.username)
    assert browser.get("/no-such-page").status_code == 404
    assert browser.get("/favicon.ico").status_code in (200, 404)
    page = browser.get("/settings/two-factor").get_data(as_text=True)
    assert page.count("Moderators and admins need two-step sign-in. Please turn it on") <= 1


def test_a_code_in_other_digits_is_refused_with_a_message(member_browser, member):
    for code in ("١٢٣٤٥٦", "１２３４５６", "¹²³⁴⁵⁶"):
        response = member_browser.submit("/settings/two-factor", {
            "code": code, "password": PASSWORD}, action="/settings/two-factor/enable")
        assert response.status_code == 200
        assert "That code does not match" in response.get_data(as_text=True)


def test_changing_the_email_address_takes_a_code_when_it_is_on(member_browser, member):
    secret, _ = turn_on(member_browser)
    assert "Code from your authenticator app" in member_browser.get("/settings").get_data(
        as_text=True)
    change = {"new_email": "elsewhere@example.org", "current_password": PASSWORD}
    refused = member_browser.submit("/settings", change, action="/settings/email")
    assert refused.status_code == 200
    assert "That code does not match" in refused.get_data(as_text=True)
    assert not _mails(member, "elsewhere@example.org")
    accepted = member_browser.submit("/settings", {**change, "code": _next_code(secret)},
                                     action="/settings/email")
    assert accepted.status_code == 302
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "elsewhere@example.org")) is not None
