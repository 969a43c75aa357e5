"""Two-step secrets at rest: encrypted with TOTP_ENCRYPTION_KEY (kept apart from the
database), rotated by `flask --app forum two-factor rotate-key`, and the secret being
set up kept on the server rather than in the readable session cookie."""

import re
import zlib

import pytest
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from itsdangerous import base64_decode
from sqlalchemy import text

from forum import create_app
from forum.config import ConfigError, load_config
from forum.extensions import db
from forum.models import User, utcnow
from tests.conftest import Browser, RequestClient
from tests.factories import make_user
from tests.test_migrations import empty_postgres  # noqa: F401 (a fixture)
from tests.test_two_factor import _code, _next_code, _password_step, _secret, _signed_in, turn_on

BASE32 = re.compile(r"[A-Z2-7]{16,}")


def _stored(user_id: int) -> str:
    """The column as the database holds it (what a leaked backup would show)."""
    return db.session.execute(text("SELECT totp_secret FROM users WHERE id = :id"),
                              {"id": user_id}).scalar_one()


def _cookie_contents(client) -> str:
    """What anyone holding the session cookie can read: Flask signs it, never encrypts."""
    value = client.get_cookie("session").value
    payload = value.lstrip(".").split(".")[0]
    data = base64_decode(payload)
    return (zlib.decompress(data) if value.startswith(".") else data).decode()


def _sign_in_with_code(browser, user, code):
    browser.logout()
    step = _password_step(browser, user.username)
    assert step.headers["Location"].startswith("/login/code")
    return browser.submit(step.headers["Location"], {"code": code})


@pytest.fixture
def keys(app, monkeypatch):
    """Sets TOTP_ENCRYPTION_KEY on the running app for one test."""
    def use(*values):
        monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEY", ",".join(values))
    return use


def test_the_database_holds_no_readable_secret_and_sign_in_still_works(
        app, member_browser, member):
    secret, _ = turn_on(member_browser)
    stored = _stored(member.id)
    assert secret not in stored and not BASE32.fullmatch(stored)
    key = app.config["TOTP_ENCRYPTION_KEY"].split(",")[0]
    assert Fernet(key.encode()).decrypt(stored.encode()).decode() == secret

    signed_in = _sign_in_with_code(member_browser, member, _next_code(secret))
    assert signed_in.status_code == 302
    assert _signed_in(member_browser)


def test_the_set_up_secret_is_not_in_the_cookie_nor_readable_on_the_server(
        member_browser, member):
    page = member_browser.get("/settings/two-factor")
    secret = _secret(page.get_data(as_text=True))
    assert "two_factor" not in _cookie_contents(member_browser.client)
    assert secret not in _cookie_contents(member_browser.client)
    kept = db.session.execute(text("SELECT two_factor_setup FROM user_sessions")).scalars().all()
    assert kept and not any(secret in (value or "") for value in kept)

    # The same key is shown again (the app need not be set up twice) and turns it on.
    again = member_browser.get("/settings/two-factor")
    assert _secret(again.get_data(as_text=True)) == secret
    assert member_browser.get("/settings/two-factor/qr.svg").status_code == 200
    enabled = member_browser.submit("/settings/two-factor", {
        "code": _code(secret), "password": "correct horse battery"},
        action="/settings/two-factor/enable")
    assert enabled.status_code == 200 and "recovery" in enabled.get_data(as_text=True).lower()
    assert secret not in _cookie_contents(member_browser.client)
    assert db.session.execute(text(
        "SELECT count(*) FROM user_sessions WHERE two_factor_setup IS NOT NULL")).scalar() == 0


def test_a_set_up_key_is_this_browsers_only(app, member):
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.login(member.username)
    second.login(member.username)
    shown = _secret(first.get("/settings/two-factor").get_data(as_text=True))
    assert _secret(second.get("/settings/two-factor").get_data(as_text=True)) != shown


def test_rotation_moves_every_secret_to_the_new_key_so_the_old_one_can_go(
        app, member_browser, member, keys):
    old_key = app.config["TOTP_ENCRYPTION_KEY"]
    secret, codes = turn_on(member_browser)
    before = _stored(member.id)
    new_key = Fernet.generate_key().decode()

    keys(new_key, old_key)  # the new key first: it encrypts, the old one still opens
    result = app.test_cli_runner().invoke(args=["two-factor", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "1 secrets re-encrypted" in result.output
    after = _stored(member.id)
    assert after != before and Fernet(new_key.encode()).decrypt(after.encode()).decode() == secret

    keys(new_key)  # the old key removed
    signed_in = _sign_in_with_code(member_browser, member, _next_code(secret))
    assert signed_in.status_code == 302
    assert _signed_in(member_browser)


def test_a_key_removed_before_rotating_refuses_codes_without_an_error_page(
        app, member_browser, member, keys):
    secret, codes = turn_on(member_browser)
    keys(Fernet.generate_key().decode())
    refused = _sign_in_with_code(member_browser, member, _next_code(secret))
    assert refused.status_code == 200
    assert "That code does not match" in refused.get_data(as_text=True)
    assert not _signed_in(member_browser)
    # A recovery code still signs the member in.
    step = _password_step(member_browser, member.username)
    assert member_browser.submit(step.headers["Location"], {"code": codes[0]}).status_code == 302
    # And rotating says what it could not open, rather than pretending.
    result = app.test_cli_runner().invoke(args=["two-factor", "rotate-key"])
    assert result.exit_code != 0 and "1 secrets open with no key" in result.output


def test_production_refuses_to_start_without_a_key(app, monkeypatch):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.delenv("TOTP_ENCRYPTION_KEY")
    with pytest.raises(ConfigError, match="TOTP_ENCRYPTION_KEY"):
        create_app({"TESTING": True})
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", "not a fernet key")
    with pytest.raises(ConfigError, match="not a Fernet key"):
        create_app({"TESTING": True})
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", f"{Fernet.generate_key().decode()}, "
                                              f"{Fernet.generate_key().decode()}")
    assert create_app({"TESTING": True}).config["FORUM_ENV"] == "production"


def test_development_generates_a_key_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("FORUM_ENV", raising=False)
    monkeypatch.delenv("TOTP_ENCRYPTION_KEY")
    first = load_config(tmp_path)["TOTP_ENCRYPTION_KEY"]
    Fernet(first.encode())
    assert load_config(tmp_path)["TOTP_ENCRYPTION_KEY"] == first
    assert (tmp_path / "totp_key").stat().st_mode & 0o077 == 0


# -- the migration that encrypts secrets stored before ------------------------

MIGRATION = "e492bac5ff2b"
# SQLite cannot reflect the expression indexes when older migrations rebuild "users".
reflection_warnings = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")


def _encrypts_existing_secrets(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    app.test_client_class = RequestClient
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        before = ScriptDirectory.from_config(config).get_revision(MIGRATION).down_revision
        # The account is made by the factory at head (the models match only head's
        # schema); its plain secret is written once the schema is back before the
        # migration, as an older forum stored it.
        upgrade()
        user_id = make_user("maria").id
        db.session.commit()
        db.session.remove()
        downgrade(revision=before)
        db.session.execute(text(
            "UPDATE users SET totp_secret = :secret, totp_enabled_at = :now WHERE id = :id"),
            {"secret": secret, "now": utcnow(), "id": user_id})
        db.session.execute(text(
            "INSERT INTO user_sessions (key, user_id, created_at, user_agent) "
            "VALUES ('k', :id, :now, '')"), {"id": user_id, "now": utcnow()})
        db.session.commit()

        upgrade()
        user = db.session.get(User, user_id)
        stored = _stored(user.id)
        assert secret not in stored and not BASE32.fullmatch(stored)
        # Rebuilding "users" on SQLite would have deleted its sessions by cascade.
        assert db.session.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 1

        browser = Browser(app.test_client())
        signed_in = _sign_in_with_code(browser, user, _code(secret))
        assert signed_in.status_code == 302 and _signed_in(browser)

        db.session.remove()
        downgrade(revision=before)
        assert _stored(user_id) == secret
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


@reflection_warnings
def test_the_migration_encrypts_existing_secrets_on_sqlite(tmp_path):
    _encrypts_existing_secrets(f"sqlite:///{tmp_path / 'migrated.db'}")


@reflection_warnings
def test_the_migration_encrypts_existing_secrets_on_postgres(empty_postgres):  # noqa: F811
    _encrypts_existing_secrets(empty_postgres)
