"""The house: configuration, security headers, error pages and the health check."""

import pytest

from forum import create_app
from forum.config import ConfigError, load_config

DOWN_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2"


def _app(**config):
    return create_app({"TESTING": False, **config})


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # development


def test_pages_use_no_inline_script_or_style(client, member):
    page = client.get("/register").get_data(as_text=True)
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_unexpected_error_shows_the_forums_page_not_a_traceback():
    app = _app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert response.headers["Content-Security-Policy"]


def test_health_check_answers_200_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "up"


def test_database_down_gives_503_on_health_check_and_pages():
    app = _app(SQLALCHEMY_DATABASE_URI=DOWN_DATABASE)
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    page = client.get("/")
    assert page.status_code == 503
    assert "briefly unavailable" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config(tmp_path)


def test_production_turns_on_secure_cookies_and_hsts(monkeypatch):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    app = _app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert not app.debug
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_development_generates_a_secret_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("FORUM_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32
    assert load_config(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'forum.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/forum")
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/forum"


def test_every_response_has_a_request_id_and_logs_carry_no_secrets(client, member, caplog):
    import logging

    from tests.conftest import PASSWORD, Browser

    assert len(client.get("/").headers["X-Request-ID"]) >= 8
    assert client.get("/", headers={"X-Request-ID": "abcdef-123456"}).headers[
        "X-Request-ID"] == "abcdef-123456"
    assert client.get("/", headers={"X-Request-ID": "<bad id>"}).headers[
        "X-Request-ID"] != "<bad id>"

    caplog.set_level(logging.INFO, logger="forum")
    Browser(client).login("maria")
    from forum.requestlog import JsonFormatter

    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "sign-in" in logged and "/login" in logged
    assert PASSWORD not in logged and "maria@example.org" not in logged
    assert "csrf" not in logged.lower()


def test_trusted_hosts_refuse_other_host_headers(app, client):
    app.config["TRUSTED_HOSTS"] = ["forum.example"]
    try:
        refused = client.get("/", headers={"Host": "evil.example"})
        served = client.get("/", headers={"Host": "forum.example"})
    finally:
        app.config["TRUSTED_HOSTS"] = None
    assert refused.status_code == 400
    assert "Content-Security-Policy" in refused.headers
    assert "Traceback" not in refused.get_data(as_text=True)
    assert served.status_code == 200


def _error_responses(client, member_browser):
    yield 400, client.post("/logout")  # no CSRF token
    yield 403, member_browser.get("/mod")
    yield 404, client.get("/t/2147483647")
    yield 405, client.get("/logout")
    yield 413, client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})


def test_error_pages_are_the_forums_own_and_carry_the_headers(client, member_browser):
    for status, response in _error_responses(client, member_browser):
        body = response.get_data(as_text=True)
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"], status
        assert response.headers["X-Content-Type-Options"] == "nosniff", status
        assert response.headers["Referrer-Policy"] == "same-origin", status
        assert "Traceback" not in body and "Werkzeug" not in body, status
        assert "MS Community Forum" in body, status  # the site's own layout
