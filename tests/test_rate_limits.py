"""Rate limits on sign-in (both steps), registration, reset requests and writing."""

import time

import pyotp
import pytest
from sqlalchemy import func, select

from forum import create_app
from forum.accounts import two_factor
from forum.extensions import db, limiter
from forum.models import OutboxMessage, User
from tests.conftest import PASSWORD, Browser, RequestClient


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
            "password": "a calm long password", "confirm": "a calm long password"})
        browser.client.delete_cookie("session")
    assert response.status_code == 429
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_reset_requests_are_limited(limited, member):
    browser = Browser(limited.test_client())
    statuses = [browser.submit("/reset", {"email": "maria@example.org"}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_guessing_from_many_places_cannot_lock_the_owner_out(limited, member):
    limited.config["RATELIMIT_LOGIN"] = "100 per minute"
    for n in range(6):  # more failures than the per-account limit, from six addresses
        browser = Browser(limited.test_client())
        browser.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        browser.submit("/login", {"username": "maria", "password": "wrong guess"})
    owner = Browser(limited.test_client())
    owner.client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    refused = owner.submit("/login", {"username": "maria", "password": PASSWORD})
    assert refused.status_code == 429  # the account's failures are used up: slow down

    successes = Browser(limited.test_client())
    limiter.reset()
    for _ in range(8):  # successful sign-ins do not count against the account
        assert successes.submit("/login", {"username": "maria", "password": PASSWORD}
                                ).status_code == 302


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
