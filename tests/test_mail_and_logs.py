"""The outbox in development (/dev/mail), and what the logs never hold: tokens from
paths, mail bodies and addresses in production."""

import json
import logging
import re
import socket
import threading

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import OutboxMessage, User
from tests.conftest import PASSWORD, Browser
from tests.factories import mailed_link


def join(browser, username="newbie"):
    return browser.submit("/register", {"username": username, "email": f"{username}@example.org",
                                        "password": "a calm long password",
                                        "confirm": "a calm long password", "agree": "y"})


def logged(caplog) -> str:
    return "\n".join(f"{record.getMessage()} {json.dumps(getattr(record, 'fields', {}))}"
                     for record in caplog.records)


# -- /dev/mail ---------------------------------------------------------------------------

def test_dev_mail_shows_the_outbox_newest_first_with_links_to_follow(app, browser, member):
    join(browser)
    browser.submit("/reset", {"email": "maria@example.org"})
    page = browser.get("/dev/mail")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Mail sent by this forum</h1>" in html
    assert html.index("Choose a new password") < html.index("Please confirm your email address")
    assert "newbie@example.org" in html and "Hello newbie," in html

    links = re.findall(r'<a href="(/confirm/[^"]+)">http://127\.0\.0\.1:5000/confirm/', html)
    assert links == [mailed_link("newbie@example.org")]
    assert browser.submit(links[0], {}).status_code == 302  # followed: confirmed, signed in
    assert "Sign out" in browser.get("/").get_data(as_text=True)


def test_dev_mail_escapes_what_it_shows(app, browser):
    join(browser, username="x_script")
    message = db.session.scalar(select(OutboxMessage))
    message.body = 'Hi <script>alert(1)</script> see http://evil.example/"onmouseover=x'
    db.session.commit()
    html = browser.get("/dev/mail").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<a href="http://evil.example/">' in html  # the link stops at the quote


@pytest.mark.parametrize("setting", [{"FORUM_ENV": "production"},
                                     {"MAIL_SERVER": "smtp.example.org"}])
def test_dev_mail_does_not_exist_in_production_or_with_a_mail_server(app, client, setting,
                                                                     monkeypatch):
    for name, value in setting.items():
        monkeypatch.setitem(app.config, name, value)
    response = client.get("/dev/mail")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


# -- the request log ---------------------------------------------------------------------

def test_tokens_in_paths_and_query_strings_never_reach_the_request_log(app, browser, member,
                                                                       caplog):
    caplog.set_level(logging.INFO, logger="forum")
    join(browser)
    confirm = mailed_link("newbie@example.org")
    browser.submit("/reset", {"email": "maria@example.org"})
    reset = mailed_link("maria@example.org")
    maria = Browser(app.test_client())
    maria.login("maria")
    maria.submit("/settings", {"new_email": "maria.new@example.org",
                               "current_password": PASSWORD}, action="/settings/email")
    change = mailed_link("maria.new@example.org")
    caplog.clear()

    for link in (confirm, reset, change):
        browser.get(link)
        browser.get(link + "/more")  # a mangled link: no route, still no token
        browser.get("/login?next=" + link)
    browser.submit(confirm, {})
    maria.submit(change, {})
    text = logged(caplog)
    for link in (confirm, reset, change):
        assert link.rsplit("/", 1)[1] not in text
    paths = {record.fields["path"] for record in caplog.records
             if record.name == "forum.requests"}
    assert {"/confirm/<token>", "/reset/<token>", "/settings/email/<token>", "/login"} <= paths


def test_in_production_mail_addresses_and_bodies_stay_out_of_the_log(app, browser, member,
                                                                     caplog, monkeypatch):
    monkeypatch.setitem(app.config, "FORUM_ENV", "production")
    caplog.set_level(logging.DEBUG)
    join(browser)
    browser.submit("/reset", {"email": "maria@example.org"})
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens: the failure is logged
    browser.submit("/reset", {"email": "maria@example.org"})

    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(messages) == 3 and messages[-1].sent_at is None  # the failure stays queued
    text = logged(caplog)
    assert "not sent" in text and "failed" in text
    for message in messages:
        assert message.recipient not in text
        assert message.body.splitlines()[0] not in text
        assert mailed_link(message.recipient).rsplit("/", 1)[1] not in text
    assert db.session.scalar(select(User.email).where(User.username == "newbie")) not in text


@pytest.fixture
def refusing_smtp():
    """A real SMTP server on a local port that refuses every recipient, naming it in the
    refusal as real servers do ("550 5.1.1 <x@y>: no such user")."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as stream:
                stream.write(b"220 test ESMTP\r\n")
                stream.flush()
                for line in stream:
                    command = line.decode().strip()
                    if command.upper().startswith(("EHLO", "HELO")):
                        reply = "250 test"
                    elif command.upper().startswith("RCPT"):
                        reply = f"550 5.1.1 {command.split(':', 1)[1]}: no such user"
                    elif command.upper().startswith("QUIT"):
                        stream.write(b"221 bye\r\n")
                        stream.flush()
                        break
                    else:
                        reply = "250 ok"
                    stream.write(reply.encode() + b"\r\n")
                    stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(timeout=5)


def test_a_refused_recipient_is_kept_in_the_outbox_not_the_log(app, browser, member, caplog,
                                                                monkeypatch, refusing_smtp):
    monkeypatch.setitem(app.config, "FORUM_ENV", "production")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", refusing_smtp)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    caplog.set_level(logging.DEBUG)
    browser.submit("/reset", {"email": "maria@example.org"})
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.sent_at is None and "maria@example.org" in message.last_error
    assert "maria@example.org" not in logged(caplog)
    assert "SMTPRecipientsRefused" in logged(caplog)  # the log still says what went wrong


def test_in_development_without_a_mail_server_mail_goes_to_the_log(app, browser, caplog):
    caplog.set_level(logging.INFO, logger="forum.mail")
    join(browser)
    assert "newbie@example.org" in logged(caplog)


def test_the_request_log_counts_the_sql_statements_each_request_sends(app, client, member,
                                                                      member_browser, caplog):
    """The count the benchmark reads back (bench/run.py): every statement the request sent,
    BEGIN left out (SQLite is sent one, Postgres implies it), and never the SQL itself."""
    from sqlalchemy import event

    from tests.factories import make_category, make_discussion

    thread = make_discussion(member, make_category(), replies=3)
    with app.app_context():
        engine = db.engine
    sent = []

    def listener(_conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", "PRAGMA")):
            sent.append(statement)

    def logged_count(visitor, path):
        sent.clear()
        caplog.clear()
        assert visitor.get(path).status_code == 200
        entries = [r.fields for r in caplog.records if r.name == "forum.requests"]
        assert len(entries) == 1
        return entries[0]["sql"]

    caplog.set_level(logging.INFO, logger="forum")
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert logged_count(client, "/healthz") == len(sent) == 1  # its one SELECT 1
        for visitor in (client, member_browser):
            for path in ("/", f"/t/{thread.id}"):
                assert logged_count(visitor, path) == len(sent) > 1, (path, sent)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert "SELECT" not in logged(caplog) and "maria" not in logged(caplog)
