"""Operator commands, run the way an operator runs them (through click)."""

import pytest
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import Notification, OutboxMessage, Post, Thread, User
from tests.factories import make_user


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_users_create_makes_a_confirmed_established_account(cli, browser):
    result = cli.invoke(args=["users", "create", "nurse_bea", "--email", "bea@example.org",
                              "--password", "a long enough password", "--role", "expert"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "nurse_bea"))
    assert "Created expert 'nurse_bea'" in result.output
    # An expert is a member with an approved verification, not a role of their own.
    assert user.role == "member" and user.is_verified_expert
    assert user.confirmed_at is not None and user.established_at is not None
    browser.login("nurse_bea", "a long enough password")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken", "--email", "x@example.org", "--password", "long enough pass"], "taken"),
        (["TAKEN", "--email", "x@example.org", "--password", "long enough pass"], "taken"),
        (["new_one", "--email", "taken@example.org", "--password", "long enough pass"],
         "already registered"),
        (["new_one", "--email", "not-an-email", "--password", "long enough pass"], "not valid"),
        (["new_one", "--email", "n@example.org", "--password", "short"], "at least 10"),
        (["x", "--email", "n@example.org", "--password", "long enough pass"], "3 to 30"),
        (["bad name!", "--email", "n@example.org", "--password", "long enough pass"], "3 to 30"),
        (["new_one", "--email", "n@example.org", "--password", "long enough pass",
          "--role", "superuser"], "Invalid value for '--role'"),
    ],
)
def test_users_create_refuses_bad_input_clearly(cli, args, message):
    cli.invoke(args=["users", "create", "taken", "--email", "taken@example.org",
                     "--password", "long enough pass"])
    result = cli.invoke(args=["users", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_seed_demo_is_idempotent(cli, client):
    first = cli.invoke(args=["seed", "demo"])
    counts = [db.session.scalar(select(func.count(m.id))) for m in (User, Thread, Post)]
    second = cli.invoke(args=["seed", "demo"])

    assert first.exit_code == 0 and "loaded" in first.output
    assert second.exit_code == 0 and "already present" in second.output
    assert [db.session.scalar(select(func.count(m.id))) for m in (User, Thread, Post)] == counts
    assert counts[1] >= 6 and counts[2] >= 30


def test_the_demo_leaves_notifications_but_mails_no_one_about_them(cli):
    assert cli.invoke(args=["seed", "demo"]).exit_code == 0
    db.session.rollback()
    assert db.session.scalar(select(func.count(Notification.id))) > 0
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "notification")) == 0


def test_seed_demo_if_empty_leaves_a_used_database_alone(cli, member):
    result = cli.invoke(args=["seed", "demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_seed_demo_is_refused_in_production(cli, app):
    app.config["FORUM_ENV"] = "production"
    try:
        result = cli.invoke(args=["seed", "demo"])
    finally:
        app.config["FORUM_ENV"] = "development"
    assert result.exit_code != 0 and "production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_text_rerender_rebuilds_stored_html_from_source(cli):
    cli.invoke(args=["seed", "demo"])
    post = db.session.scalar(select(Post).limit(1))
    post.body_html = "<p>stale</p>"
    db.session.commit()

    result = cli.invoke(args=["text", "rerender"])

    assert result.exit_code == 0 and "1 of" in result.output
    db.session.refresh(post)
    assert post.body_html != "<p>stale</p>" and post.body_html.startswith("<")


def test_mail_that_fails_stays_in_the_outbox_until_mail_send_delivers_it(app, cli, browser):
    from forum.models import OutboxMessage, utcnow

    def wait_passes():  # a failure waits (backoff) before it is tried again
        db.session.execute(update(OutboxMessage).values(send_after=utcnow()))
        db.session.commit()

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing listens there
    try:
        browser.submit("/register", {"username": "newbie", "email": "newbie@example.org",
                                     "password": "a calm long password",
                                     "confirm": "a calm long password", "agree": "y"})
        waiting = cli.invoke(args=["mail", "send"])
        wait_passes()
        failed = cli.invoke(args=["mail", "send"])
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=587)
    assert waiting.exit_code == 0 and "0 sent, 0 failed." in waiting.output
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 2 and "Connection" in message.last_error
    assert message.send_after > utcnow()
    assert failed.exit_code == 1 and "0 sent, 1 failed." in failed.output

    wait_passes()
    delivered = cli.invoke(args=["mail", "send"])
    assert delivered.exit_code == 0 and "1 sent, 0 failed." in delivered.output
    db.session.refresh(message)
    assert message.sent_at is not None


def test_mail_send_watch_logs_a_failing_pass_and_carries_on(cli, app, monkeypatch, caplog):
    from forum import cli as commands
    from forum.domain import bookmarks, mail

    calls, sleeps = [], []

    def remind_due():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return 0

    def sleep(seconds):
        sleeps.append(seconds)
        if len(calls) >= 2:
            raise SystemExit(0)

    mail.queue(make_user("ana"), "reset", token="t0ken")
    db.session.commit()
    monkeypatch.setattr(bookmarks, "remind_due", remind_due)
    monkeypatch.setattr(commands.time, "sleep", sleep)
    monkeypatch.setattr("signal.signal", lambda *args: None)  # pytest keeps its own
    result = cli.invoke(args=["mail", "send", "--watch", "--interval", "1"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and "mail pass failed" in caplog.text
    assert "1 sent" in result.output  # the second pass went on and sent the mail


def test_mail_send_without_watch_exits_non_zero_when_a_pass_fails(cli, monkeypatch):
    from forum.domain import mail

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(mail, "send_pending", broken)
    assert cli.invoke(args=["mail", "send"]).exit_code != 0
