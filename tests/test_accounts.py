"""Registration, sign-in and sign-out through the forms."""

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from tests.conftest import PASSWORD, csrf_token


def register(browser, **fields):
    data = {"username": "newbie", "email": "newbie@example.org",
            "password": "a calm long password", "confirm": "a calm long password", **fields}
    return browser.submit("/register", data)


def test_register_creates_an_account_and_signs_in(browser):
    response = register(browser)
    assert response.status_code == 302
    home = browser.get("/").get_data(as_text=True)
    assert "newbie" in home and "Sign out" in home
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.role == "member" and user.password_hash != "a calm long password"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "ab"}, "3 to 30"),
        ({"username": "nаme"}, "letters A–Z"),  # a Cyrillic "а" that looks Latin
        ({"username": "Maria"}, "taken"),
        ({"email": "MARIA@example.org"}, "already registered"),
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
        ("", "/"),
    ],
)
def test_login_follows_next_only_to_this_site(client, member, next_url, expected):
    from urllib.parse import quote

    path = "/login?next=" + quote(next_url, safe="")
    token = csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "username": "maria",
                                       "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


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
