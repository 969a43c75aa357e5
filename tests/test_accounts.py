"""Registration, sign-in and sign-out through the forms."""

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import OutboxMessage, User
from tests.conftest import PASSWORD, Browser, csrf_token
from tests.factories import mailed_link


def register(browser, path="/register", **fields):
    data = {"username": "newbie", "email": "newbie@example.org",
            "password": "a calm long password", "confirm": "a calm long password",
            "agree": "y", **fields}
    return browser.submit(path, data)


def mail_to(recipient):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)).all()


def without_tokens(response):
    return re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))


def test_register_asks_to_confirm_and_the_mailed_link_signs_in_where_they_were_going(browser):
    response = register(browser, path="/register?next=" + quote("/c/living-with-ms?page=2"))
    assert response.status_code == 302
    sent = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email to finish" in sent
    assert "Sign out" not in browser.get("/").get_data(as_text=True)  # not signed in yet
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.role == "member" and user.password_hash != "a calm long password"
    assert user.confirmed_at is None

    (message,) = mail_to("newbie@example.org")
    assert message.sent_at is not None  # sent once the response had gone
    link = mailed_link("newbie@example.org")
    assert "Sign out" not in browser.get(link).get_data(as_text=True)  # a button only
    confirmed = browser.submit(link, {})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/c/living-with-ms?page=2"
    assert "Sign out" in browser.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).confirmed_at is not None

    # The link signs in once: followed again (say, from a forwarded mail) it does not.
    stranger = Browser(browser.client.application.test_client())
    again = stranger.submit(link, {})
    assert again.headers["Location"].startswith("/login")
    assert "Sign out" not in stranger.get("/").get_data(as_text=True)


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(app, member):
    new, taken = Browser(app.test_client()), Browser(app.test_client())
    first = register(new, username="newbie", email="newbie@example.org")
    second = register(taken, username="other_one", email="MARIA@example.org")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert without_tokens(new.get(first.headers["Location"])) == without_tokens(
        taken.get(second.headers["Location"]))
    assert db.session.scalar(select(User).where(User.username == "other_one")) is None

    (notice,) = mail_to("maria@example.org")
    assert "tried to create a new account" in notice.body and notice.sent_at is not None
    assert "/login" in notice.body and "/reset" in notice.body
    assert "/confirm/" not in notice.body  # maria is confirmed: nothing to confirm


def test_an_unconfirmed_owner_registering_again_gets_a_fresh_confirmation_link(browser):
    register(browser)
    register(Browser(browser.client.application.test_client()), username="newbie2")
    notice = mail_to("newbie@example.org")[-1]
    assert "tried to create a new account" in notice.body
    assert browser.submit(mailed_link("newbie@example.org"), {}).status_code == 302
    assert "Sign out" in browser.get("/").get_data(as_text=True)


def test_registration_needs_agreement_to_the_guidelines_and_age(browser):
    form = browser.get("/register").get_data(as_text=True)
    assert 'name="agree"' in form and "16 or older" in form and "Community guidelines" in form
    response = register(browser, agree="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please tick this box" in page
    assert 'value="newbie"' in page
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert mail_to("newbie@example.org") == []


def test_until_confirmed_an_account_cannot_sign_in_by_password(app, browser):
    register(browser)
    wrong = browser.submit("/login", {"username": "newbie", "password": "not the password"})
    assert "not confirmed" not in wrong.get_data(as_text=True)  # no more than a wrong password
    refused = browser.submit("/login?next=/t/1", {"username": "newbie",
                                                  "password": "a calm long password"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "not confirmed yet" in page
    assert "Sign out" not in browser.get("/").get_data(as_text=True)

    resent = browser.submit("/login", {"next": "/t/1"}, action="/confirm/resend")
    assert resent.status_code == 302
    assert len(mail_to("newbie@example.org")) == 2
    assert browser.submit(mailed_link("newbie@example.org"), {}).headers["Location"] == "/t/1"
    assert "Sign out" in browser.get("/").get_data(as_text=True)

    # A visitor who has not given the password cannot have links sent.
    other = Browser(app.test_client())
    assert other.submit("/login", {}, action="/confirm/resend").status_code == 302
    assert len(mail_to("newbie@example.org")) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "ab"}, "3 to 30"),
        ({"username": "nаme"}, "letters A–Z"),  # a Cyrillic "а" that looks Latin
        ({"username": "Maria"}, "taken"),  # usernames are public: a taken one is said
        ({"email": "not an email"}, "not valid"),
        ({"password": "short", "confirm": "short"}, "at least 10"),
        ({"confirm": "something else entirely"}, "differ"),
        ({"username": "walker", "password": "walker-and-more", "confirm": "walker-and-more"},
         "must not contain your username"),
    ],
)
def test_register_refuses_bad_input_and_keeps_what_was_typed(browser, member, fields, message):
    response = register(browser, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    typed = {"username": "newbie", "email": "newbie@example.org", **fields}
    assert f'value="{typed["username"]}"' in page
    assert "a calm long password" not in page  # passwords are never sent back
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert "already registered" not in page


def test_login_by_username_or_email_any_case(app, member):
    from tests.conftest import Browser

    for identifier in ("maria", "MARIA", "maria@example.org", "Maria@Example.org"):
        browser = Browser(app.test_client())
        assert browser.login(identifier).headers["Location"] == "/"


def test_wrong_password_and_unknown_account_look_the_same(browser, member):
    wrong = browser.submit("/login", {"username": "maria", "password": "not the password"})
    unknown = browser.submit("/login", {"username": "nobody", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 200
    message = "That username or email and password do not match."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert 'value="maria"' in wrong.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/t/1", "/t/1"),
        ("/c/research-news?page=2", "/c/research-news?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),
        (" //evil.example", "/"),
        ("http://[2001:cdba::3257:9652/", "/"),  # urlsplit raises ValueError on it
        ("//[::1", "/"),
        ("", "/"),
    ],
)
def test_login_follows_next_only_to_this_site(client, member, next_url, expected):
    path = "/login?next=" + quote(next_url, safe="")
    page = client.get(path).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]*)" novalidate', page).group(1)
    # The form carries `next` on only when it is a path on this site.
    carried = parse_qs(urlsplit(action).query).get("next")
    assert urlsplit(action).path == "/login"
    assert carried == ([expected] if expected != "/" else None), action
    response = client.post(path, data={"csrf_token": csrf_token(page), "username": "maria",
                                       "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("referer", ["http://[2001:cdba::3257:9652/", "http://[::1"])
def test_a_referer_that_is_no_url_is_not_an_error(member_browser, referer):
    # The refused-form page reads Origin/Referer to decide whether to give the text back.
    response = member_browser.client.post("/t/1/reply", data={"body": "kept words"},
                                          headers={"Referer": referer})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["1|abcé", "é", "%C3%A9|x", "1|\u00e9"])
def test_an_odd_remember_cookie_is_ignored_not_an_error(app, member, value):
    client = app.test_client()
    client.set_cookie("remember_token", value)
    for path in ("/", "/login", "/settings"):
        assert client.get(path).status_code in (200, 302), path
    browser = Browser(client)
    assert browser.login("maria").status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_logout_needs_a_post_with_a_token(member_browser):
    assert member_browser.get("/logout").status_code == 405
    refused = member_browser.client.post("/logout")
    assert refused.status_code == 400
    assert "Sign out" in member_browser.get("/").get_data(as_text=True)
    assert member_browser.logout().status_code == 302
    assert "Sign in" in member_browser.get("/").get_data(as_text=True)


def test_remember_me_sets_a_long_lived_cookie(browser, member):
    response = browser.submit("/login", {"username": "maria", "password": PASSWORD,
                                         "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)
