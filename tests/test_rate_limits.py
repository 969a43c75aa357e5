"""Rate limits on sign-in (both steps), registration, reset requests and writing."""

import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from forum import create_app
from forum.domain import two_factor
from forum.extensions import db, limiter
from forum.models import OutboxMessage, User
from tests.conftest import PASSWORD, Browser, RequestClient
from tests.factories import mailed_link


def outbox():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


@pytest.fixture
def limited(app):
    """An app of its own with limits on (Flask-Limiter's state is process-wide)."""
    limited_app = create_app({
        "TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_LOGIN": "3 per minute", "RATELIMIT_LOGIN_ACCOUNT": "5 per hour",
        "RATELIMIT_TWO_FACTOR": "5 per hour",
        "RATELIMIT_REGISTER": "2 per hour", "RATELIMIT_RESET": "2 per hour",
    })
    limited_app.test_client_class = RequestClient
    limiter.reset()
    yield limited_app
    limiter.reset()
    limiter.enabled = False


def test_a_flood_of_sign_ins_gets_429_with_a_clear_page(limited, member):
    browser = Browser(limited.test_client())
    for _ in range(3):
        assert browser.submit("/login", {"username": "maria", "password": "wrong guess"}
                              ).status_code == 200
    refused = browser.submit("/login", {"username": "maria", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Please wait" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers
    assert refused.headers["Content-Security-Policy"]
    assert browser.get("/login").status_code == 200  # reading the form is not limited


def test_registration_flood_creates_nothing_past_the_limit(limited):
    browser = Browser(limited.test_client())
    for n in range(3):
        response = browser.submit("/register", {
            "username": f"flood{n}", "email": f"flood{n}@example.org",
            "password": "a calm long password", "confirm": "a calm long password",
            "agree": "y"})
        browser.client.delete_cookie("session")
    assert response.status_code == 429
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_reset_requests_are_limited(limited, member):
    browser = Browser(limited.test_client())
    statuses = [browser.submit("/reset", {"email": "maria@example.org"}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def _from(limited, n):
    browser = Browser(limited.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = f"10.0.{n // 250}.{n % 250 + 1}"
    return browser


def _guess(limited, n, username, password="wrong guess"):  # noqa: S107
    return _from(limited, n).submit("/login", {"username": username, "password": password})


def test_guessing_from_many_places_cannot_lock_the_owner_out(limited, member):
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    for n in range(5):  # the per-account limit's worth of failures, from five addresses
        assert _guess(limited, n, "maria").status_code == 200
    owner = _from(limited, 99)
    refused = owner.submit("/login?next=/settings", {"username": "maria",
                                                     "password": PASSWORD})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Sign out" not in owner.get("/").get_data(as_text=True)
    assert "Email me a sign-in link" in page  # ...but never locked out

    asked = owner.submit("/login?next=/settings", {"username": "maria"},
                         action="/login/link?next=/settings")
    assert asked.status_code == 302
    (mail,) = outbox()
    assert "works once, within fifteen minutes" in mail.body
    link = mailed_link("maria@example.org")
    assert "Sign out" not in owner.get(link).get_data(as_text=True)  # a button, no sign-in
    signed_in = owner.submit(link, {})
    assert signed_in.headers["Location"] == "/settings"
    assert "Sign out" in owner.get("/").get_data(as_text=True)

    # Once: the same link in another browser (or again) signs nobody in.
    thief = _from(limited, 98)
    assert thief.submit(link, {}).headers["Location"] == "/login"
    assert "Sign out" not in thief.get("/").get_data(as_text=True)


@pytest.mark.parametrize("variant", ["maria\x03", "MARIA", " Maria ", "maria@example.org",
                                     "MARIA@EXAMPLE.ORG", "ma\x00ria"])
def test_one_account_has_one_limit_whatever_form_of_its_name(limited, member, variant):
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    for n in range(4):
        _guess(limited, n, "maria")
    assert _guess(limited, 10, variant).status_code == 200  # the fifth failure
    assert _guess(limited, 11, "maria", PASSWORD).status_code == 429
    assert _guess(limited, 12, "maria@example.org", PASSWORD).status_code == 429


def test_an_unknown_name_is_limited_the_same_way_and_the_answer_tells_nothing(limited, member):
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    for n in range(5):
        _guess(limited, n, "maria")
        _guess(limited, 20 + n, "nobody_here")
    known, unknown = _guess(limited, 40, "maria"), _guess(limited, 41, "nobody_here")
    assert known.status_code == unknown.status_code == 429
    strip = lambda page: re.sub(r'value="[^"]*"', "", page.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    # A name no account has is not a way round the limit for one that has.
    assert _guess(limited, 42, "someone_else", PASSWORD).status_code == 200

    answers = []
    for name in ("maria", "nobody_here"):
        browser = _from(limited, 50)
        asked = browser.submit("/login", {"username": name}, action="/login/link")
        assert asked.status_code == 302
        answers.append(strip(browser.get(asked.headers["Location"])))
    assert answers[0] == answers[1] and "If that account exists" in answers[0]
    assert [m.recipient for m in outbox()] == ["maria@example.org"]


def test_a_sign_in_link_goes_to_the_account_whatever_form_of_its_name(limited, member):
    for name in ("MARIA\x03", " maria@EXAMPLE.org "):
        _from(limited, 1).submit("/login", {"username": name}, action="/login/link")
    assert [m.recipient for m in outbox()] == ["maria@example.org"] * 2


def test_successful_sign_ins_do_not_count_against_the_account(limited, member):
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    for n in range(8):
        assert _guess(limited, n, "maria", PASSWORD).status_code == 302


def test_a_sign_in_link_stands_in_for_the_password_only_not_the_code(limited, member):
    secret = two_factor.new_secret()
    two_factor.enable(member, secret, pyotp.TOTP(secret).now(), PASSWORD)
    browser = _from(limited, 1)
    browser.submit("/login", {"username": "maria"}, action="/login/link")
    step = browser.submit(mailed_link("maria@example.org"), {})
    assert step.headers["Location"].startswith("/login/code")
    assert "Sign out" not in browser.get("/").get_data(as_text=True)
    done = browser.submit(step.headers["Location"],
                          {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert done.status_code == 302
    assert "Sign out" in browser.get("/").get_data(as_text=True)


def test_a_sign_in_link_expires_and_a_forged_one_does_nothing(limited, member, monkeypatch):
    browser = _from(limited, 1)
    browser.submit("/login", {"username": "maria@example.org"}, action="/login/link")
    link = mailed_link("maria@example.org")
    assert browser.submit("/login/link/forged.token", {}).headers["Location"] == "/login"
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)  # itsdangerous reads the clock here
    assert browser.submit(link, {}).headers["Location"] == "/login"
    assert "Sign out" not in browser.get("/").get_data(as_text=True)


def test_links_made_before_one_was_used_are_spent_too(limited, member):
    browser = _from(limited, 1)
    for _ in range(2):
        browser.submit("/login", {"username": "maria"}, action="/login/link")
    first, second = (mailed_link("maria@example.org", index) for index in (0, 1))
    assert first != second
    assert browser.submit(second, {}).status_code == 302
    assert "Sign out" in browser.get("/").get_data(as_text=True)
    other = _from(limited, 2)
    assert other.submit(first, {}).headers["Location"] == "/login"
    assert "Sign out" not in other.get("/").get_data(as_text=True)


def test_a_flood_of_replies_gets_429_and_nothing_half_written(limited, member, other_member):
    from forum.models import Post, Thread
    from tests.factories import make_category, make_discussion

    limited.config["RATELIMIT_POST"] = "3 per minute"
    thread = make_discussion(other_member, make_category())
    browser = Browser(limited.test_client())
    browser.login(member.username)
    statuses = [browser.submit(f"/t/{thread.id}", {"body": f"flood {n}"},
                               action=f"/t/{thread.id}/reply").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert db.session.scalar(select(func.count(Post.id)).where(
        Post.author_id == member.id)) == 3
    assert db.session.get(Thread, thread.id).reply_count == 3


def test_guessing_sign_in_codes_is_limited_per_account(limited, member):
    secret = two_factor.new_secret()
    two_factor.enable(member, secret, pyotp.TOTP(secret).now(), PASSWORD)
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    statuses = []
    for n in range(6):  # each guess from a new browser and address, as a botnet would
        browser = Browser(limited.test_client())
        browser.client.environ_base["REMOTE_ADDR"] = f"10.0.2.{n}"
        step = browser.submit("/login", {"username": "maria", "password": PASSWORD})
        assert step.headers["Location"].startswith("/login/code")
        statuses.append(browser.submit(step.headers["Location"], {"code": "000000"}).status_code)
    assert statuses == [200] * 5 + [429]


def test_guessing_codes_to_turn_two_step_sign_in_off_is_limited(limited, member):
    secret = two_factor.new_secret()
    two_factor.enable(member, secret, pyotp.TOTP(secret).now(), PASSWORD)
    browser = Browser(limited.test_client())
    step = browser.submit("/login", {"username": "maria", "password": PASSWORD})
    assert browser.submit(step.headers["Location"], {
        "code": pyotp.TOTP(secret).at(time.time() + 30)}).status_code == 302  # one counted
    statuses = [browser.submit("/settings/two-factor", {"password": PASSWORD, "code": "000000"},
                               action="/settings/two-factor/disable").status_code
                for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    db.session.refresh(member)
    assert member.has_two_factor


def test_limits_go_on_in_memory_when_redis_does_not_answer(app, member):
    """Nothing listens on port 9: each limited request would be a 500 without the
    in-memory fallback; with it the flood is still refused."""
    down = create_app({
        "TESTING": True, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0", "RATELIMIT_LOGIN": "3 per minute",
    })
    down.test_client_class = RequestClient
    try:
        browser = Browser(down.test_client())
        answers = [browser.submit("/login", {"username": "maria", "password": "wrong guess"}
                                  ).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
    finally:
        limiter.enabled = False
