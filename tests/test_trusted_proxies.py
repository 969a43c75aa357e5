"""TRUSTED_PROXIES: behind N reverse proxies each visitor gets their own rate-limit
bucket from X-Forwarded-For; with none (the default) the header, which anyone can
send, changes nothing."""

import logging

import pytest

from forum import create_app
from forum.config import ConfigError, load_config
from forum.extensions import limiter
from forum.requestlog import JsonFormatter
from tests.conftest import Browser, RequestClient


@pytest.fixture
def limited_app(app):
    """An app of its own with limits on (Flask-Limiter's state is process-wide)."""

    def make(proxies):
        limited = create_app({
            "TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_LOGIN": "2 per minute", "RATELIMIT_LOGIN_ACCOUNT": "100 per hour",
            "TRUSTED_PROXIES": proxies,
        })
        limited.test_client_class = RequestClient
        limiter.reset()
        return limited

    yield make
    limiter.reset()
    limiter.enabled = False


def _sign_in_attempts(app, forwarded_for, attempts):
    """Wrong passwords sent through the proxy for one visitor; their status codes."""
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy itself
    # As the proxy passes them on; over https Flask-WTF also wants this site's Referer,
    # which browsers send (Referrer-Policy: same-origin).
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https",
               "Referer": "https://localhost/login"}
    return [browser.submit("/login", {"username": "maria", "password": "wrong guess"},
                           headers=headers).status_code for _ in range(attempts)]


def test_without_trusted_proxies_a_forwarded_address_is_ignored(limited_app, member, caplog):
    app = limited_app(0)
    caplog.set_level(logging.INFO, logger="forum")
    assert _sign_in_attempts(app, "203.0.113.5", 2) == [200, 200]
    # A "different" visitor by the header alone is the same address: the limit holds.
    assert _sign_in_attempts(app, "198.51.100.9", 1) == [429]
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "203.0.113.5" not in logged and "198.51.100.9" not in logged


def test_behind_one_proxy_each_visitor_has_their_own_limit(limited_app, member):
    app = limited_app(1)
    assert _sign_in_attempts(app, "203.0.113.5", 3) == [200, 200, 429]
    assert _sign_in_attempts(app, "198.51.100.9", 2) == [200, 200]
    # Only the entry our proxy added counts: a visitor's own addition gets no fresh limit.
    assert _sign_in_attempts(app, "192.0.2.77, 203.0.113.5", 1) == [429]


def test_behind_a_proxy_links_use_the_scheme_it_was_reached_by(limited_app, member):
    app = limited_app(1)
    page = app.test_client().get("/feed.atom", headers={
        "X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"})
    assert page.status_code == 200
    assert "https://localhost/" in page.get_data(as_text=True)
    assert "http://localhost/" not in page.get_data(as_text=True)


def test_the_setting_is_a_count(monkeypatch, tmp_path):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    assert load_config(tmp_path)["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert load_config(tmp_path)["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("TRUSTED_PROXIES", "yes")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(tmp_path)
