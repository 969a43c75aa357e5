"""Fixtures: the app on a real database (SQLite, or Postgres with TEST_DATABASE_URL),
users by role, and clients signed in as each role."""

import os
import re
from functools import partial
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from forum import create_app
from forum.domain import accounts, profiles, search
from forum.extensions import db
from tests import factories
from tests.live import LiveServer, app_environment

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = factories.PASSWORD

# Flask-Limiter keeps one global state for every app made in this process; tests that
# exercise limits turn it on for an app of their own (see test_rate_limits.py).
os.environ["RATELIMIT_ENABLED"] = "false"
# Like SECRET_KEY: from the environment, so no test writes a key into the instance folder.
os.environ.setdefault("TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())


def _require_reachable(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # an unreachable Postgres is a failure, never a skip
        pytest.exit(f"TEST_DATABASE_URL is set but the database does not answer: {error}", 3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes():
    """The forum hashes passwords with werkzeug's default (scrypt), about a quarter of a
    second a hash on the CI machine; the suite makes thousands of accounts and signs in
    as often. In this process they get a cheap method instead: a stored hash names its
    method, so checking it (here or in a served app) is cheap too. The forum's own code
    is unchanged; accounts made through a gunicorn server still get scrypt."""
    quick = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "generate_password_hash", quick)
        patch.setattr(profiles, "generate_password_hash", quick)
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        _require_reachable(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'forum.db'}"


class RequestClient(FlaskClient):
    """Each request gets its own app context (its own `g` and database session), as in
    production, rather than sharing the context the test itself holds open."""

    def open(self, *args, follow_redirects=False, **kwargs):
        # End the test's own transaction so the request sees committed data and the
        # test's objects reload afterwards.
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # Then, as a WSGI server does once it has sent the response (and the request's
        # context is gone), close it: what waits for the response to be sent (mail) runs.
        response.make_sequence()
        response.close()
        history = []
        while follow_redirects and response.status_code in (301, 302, 303, 307, 308):
            assert len(history) < 20, "redirect loop"
            history.append(response)
            response = self.resolve_redirect(response)
        response.history = tuple(history)
        return response


@pytest.fixture(scope="session")
def app(database_url):
    # The environment is what create_app reads first; keep tests off the instance folder.
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "test-secret-key")
    os.environ.pop("FORUM_ENV", None)
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "POSTS_PER_PAGE": 5})
    app.test_client_class = RequestClient
    with app.app_context():
        with db.engine.begin() as conn:
            search.drop_objects(conn)
        db.drop_all()
        db.create_all()
        with db.engine.begin() as conn:
            search.create_objects(conn)
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            search.drop_objects(conn)
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(app):
    """Each test starts from empty tables (faster than recreating the schema)."""
    with app.app_context():
        yield
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM search_posts"))
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that signs in and sends forms the way a person's browser does."""

    def __init__(self, client):
        self.client = client

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def submit(self, form_path, data, action=None, **kwargs):
        """GET the page holding the form, then POST `data` with that page's CSRF token."""
        page = self.client.get(form_path)
        return self.client.post(
            action or form_path,
            data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data},
            **kwargs,
        )

    def login(self, username, password=PASSWORD):
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self):
        return self.submit("/", {}, action="/logout")

    def join(self, username, email=None, password="a calm long password",  # noqa: S107
             next_path=None):
        """Register and follow the mailed confirmation link, which signs in; returns the
        confirmation's response (a redirect to where the person was going)."""
        email = email or f"{username}@example.org"
        query = f"?next={quote(next_path, safe='')}" if next_path else ""
        sent = self.submit("/register" + query, {"username": username, "email": email,
                                                 "password": password, "confirm": password,
                                                 "agree": "y"})
        assert sent.status_code == 302, sent.get_data(as_text=True)
        return self.submit(factories.mailed_link(email), {})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def member(app):
    return factories.make_user("maria", role="member")


@pytest.fixture
def other_member(app):
    return factories.make_user("sam", role="member")


@pytest.fixture
def expert(app):
    return factories.make_user("dr_nair", role="expert")


@pytest.fixture
def moderator(app):
    return factories.make_user("mod_jo", role="moderator")


@pytest.fixture
def admin(app):
    return factories.make_user("admin_lee", role="admin")


def _signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


@pytest.fixture
def member_browser(app, member):
    return _signed_in(app, member)


@pytest.fixture
def moderator_browser(app, moderator):
    return _signed_in(app, moderator)


@pytest.fixture
def server(app, database_url, tmp_path):
    """The app served by gunicorn (tests/live.py), four workers on the test database;
    yields its base URL."""
    with LiveServer(app_environment(database_url), tmp_path / "gunicorn.log", workers=4,
                    options=("--log-level", "warning")) as live:
        yield live.base
    # Whatever a test asserts, the server must never have hit a locked database.
    log = live.log()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]
