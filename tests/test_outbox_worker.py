"""The mail worker (`flask --app forum mail send`): claims, retries with backoff, never
sends a row twice, and writes notification mail out only when it is due, or drops it.
A real SMTP server on a local port receives what is sent."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from forum.domain import mail
from forum.extensions import db
from forum.models import MailKind, Notification, OutboxMessage, Post, Thread, User, utcnow
from tests.factories import make_category, make_discussion, make_user
from tests.smtp_sink import SMTPSink


@pytest.fixture
def smtp(app, monkeypatch):
    sink = SMTPSink()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield sink
    sink.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scene(app):
    """Ana started a thread; Ben replied; Ana is notified of the reply."""
    ana, ben = make_user("ana"), make_user("ben")
    thread = make_discussion(ana, make_category(), title="Cooling vests <in summer>",
                             body="Do they help?", replies=1, repliers=[ben])
    reply = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False)))
    # Each test tells members what it needs (`notify`): none of publishing's own.
    db.session.execute(delete(OutboxMessage))
    db.session.execute(delete(Notification))
    db.session.commit()
    return ana, ben, thread, reply


def notify(user, post, kind="reply", actor=None):
    """`user` is told of `post` as `kind` (in place of what publishing it told them)."""
    event = f"post:{post.id}"
    made = select(Notification.id).where(Notification.user_id == user.id,
                                         Notification.event == event)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.notification_id.in_(made)))
    db.session.execute(delete(Notification).where(Notification.id.in_(made)))
    db.session.add(Notification(user_id=user.id, kind=kind, event=event, thread_id=post.thread_id,
                                post_id=post.id, actor_id=(actor or post.author).id))
    db.session.flush()
    mail.queue_notifications(event)
    db.session.commit()
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == MailKind.NOTIFICATION.value, OutboxMessage.user_id == user.id))


def make_due():
    db.session.execute(update(OutboxMessage).values(send_after=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def row(message_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


# -- retries, backoff, claims ----------------------------------------------------------------

def test_mail_server_down_then_back_nothing_lost_nothing_sent_twice(app, smtp, scene,
                                                                     monkeypatch):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    account = mail.queue(ben, "reset", token="t0ken")  # a plain account mail
    db.session.commit()
    account_id, notification_id = account.id, queued.id
    make_due()

    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    before = utcnow()
    first = mail.send_pending()
    assert (first.sent, first.failed) == (0, 2) and smtp.messages == []
    for message_id in (account_id, notification_id):
        failed = row(message_id)
        assert failed.sent_at is None and failed.attempts == 1 and failed.last_error
        assert failed.claimed_by == "" and failed.claimed_until is None  # claim given back
        assert before + timedelta(seconds=55) < failed.send_after < utcnow() + timedelta(minutes=1)
    assert mail.send_pending().failed == 0  # waiting out the backoff: not tried again yet

    monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
    make_due()
    assert mail.send_pending().sent == 2
    assert mail.send_pending().sent == 0
    make_due()
    assert mail.send_pending().sent == 0  # sent rows are never taken again
    assert len(smtp.to("ana@example.org")) == 1 and len(smtp.to("ben@example.org")) == 1
    assert row(account_id).sent_at is not None and row(notification_id).attempts == 2


def test_backoff_doubles_from_a_minute_up_to_six_hours():
    waits = [mail.backoff(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits == sorted(waits) and waits[-1] == timedelta(hours=6)
    assert mail.backoff(500) == timedelta(hours=6)


def test_two_workers_at_once_send_every_row_exactly_once(app, smtp):
    user = make_user("many")
    for n in range(50):
        mail.queue(user, "reset", token=f"token-{n}")
    db.session.commit()
    smtp.delay = 0.01
    errors, start = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            try:
                start.wait()
                while mail.send_pending(limit=5).sent:
                    pass
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert errors == []
    tokens = sorted(m.get_body(("plain",)).get_content().split("/reset/")[1].split()[0]
                    for m in smtp.messages)
    assert tokens == sorted(f"token-{n}" for n in range(50))  # each once, none missing
    assert db.session.scalar(select(db.func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


def test_a_claim_keeps_other_senders_away_until_it_expires(app, smtp, scene):
    ana, ben, thread, reply = scene
    message = mail.queue(ben, "reset", token="t0ken")
    db.session.commit()
    message_id = message.id
    # A worker claimed it, then died mid-send.
    db.session.execute(update(OutboxMessage).values(
        claimed_by="dead-worker", claimed_until=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert mail.send_pending().sent == 0
    mail._send([message_id])  # the after-response send asks for the same claim
    assert smtp.messages == []

    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert mail.send_pending().sent == 1
    assert mail.send_pending().sent == 0 and len(smtp.messages) == 1
    assert row(message_id).claimed_by == ""


def test_in_production_without_a_mail_server_mail_stays_pending(app, scene, monkeypatch,
                                                                  caplog):
    ana, ben, thread, reply = scene
    monkeypatch.setitem(app.config, "FORUM_ENV", "production")
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    caplog.set_level(logging.DEBUG, logger="forum.mail")
    for n in range(3):
        mail.queue(ben, "reset", token=f"t{n}")
    db.session.commit()
    counts = mail.send_pending()
    assert counts.sent == 0 and counts.waiting == 3
    pending = db.session.scalars(select(OutboxMessage)).all()
    assert all(m.sent_at is None and m.attempts == 0 and m.claimed_by == "" for m in pending)
    assert [r.getMessage() for r in caplog.records].count(
        "no MAIL_SERVER: 3 outbox messages not sent (they stay pending)") == 1
    assert "ben@example.org" not in caplog.text


# -- notification mail: written out when due, or dropped ----------------------------------

def test_notification_mail_is_written_out_when_due_with_both_parts_and_unsubscribe(
        app, smtp, scene):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    assert (queued.subject, queued.body, queued.send_after > utcnow()) == ("", "", True)
    assert mail.send_pending().sent == 0  # MAIL_AWAY_MINUTES not over yet
    make_due()
    assert mail.send_pending().sent == 1

    (sent,) = smtp.to("ana@example.org")
    assert sent["Subject"] == "ben replied in Cooling vests <in summer>"
    assert sent.get_content_type() == "multipart/alternative"
    plain = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert "Reply number 1" in plain and f"/p/{reply.id}" in plain
    assert "Cooling vests &lt;in summer&gt;" in html and f'/p/{reply.id}"' in html
    unsubscribe = sent["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:5000/unsubscribe/")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in plain and unsubscribe in html
    stored = row(queued.id)
    assert stored.body == plain.replace("\r\n", "\n") and stored.html_body and stored.sent_at


def test_account_mail_has_both_parts_and_no_unsubscribe(app, smtp, scene):
    ana, ben, thread, reply = scene
    mail.queue(ben, "reset", token="t0ken")
    db.session.commit()
    mail.send_queued()
    (sent,) = smtp.to("ben@example.org")
    assert sent["List-Unsubscribe"] is None and sent["List-Unsubscribe-Post"] is None
    assert "/reset/t0ken" in sent.get_body(("plain",)).get_content()
    assert 'href="http://127.0.0.1:5000/reset/t0ken"' in sent.get_body(("html",)).get_content()


def test_notification_mail_is_in_the_recipients_language(app, smtp, scene):
    ana, ben, thread, reply = scene
    ana.locale = "es"
    db.session.commit()
    notify(ana, reply)
    make_due()
    mail.send_pending()
    (sent,) = smtp.to("ana@example.org")
    assert sent["Subject"] == "ben respondió en Cooling vests <in summer>"
    assert "Hola, ana:" in sent.get_body(("plain",)).get_content()


def _dropped(queued_id, smtp, why):
    make_due()
    counts = mail.send_pending()
    dropped = row(queued_id)
    assert counts.dropped == 1 and counts.sent == 0 and smtp.messages == []
    assert dropped.dropped_at is not None and dropped.sent_at is None
    assert why in dropped.last_error
    make_due()
    assert sum(mail.send_pending().values()) == 0  # never taken again


def test_a_notification_read_before_it_is_due_is_dropped(app, smtp, scene):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    db.session.execute(update(Notification).values(read_at=utcnow()))
    db.session.commit()
    _dropped(queued.id, smtp, "read")


def test_a_member_seen_on_the_site_after_the_notification_gets_no_mail(app, smtp, scene, client):
    from tests.conftest import Browser

    ana, ben, thread, reply = scene
    browser = Browser(client)
    browser.login("ana")
    queued = notify(ana, reply)
    # Signed in a while ago; the next page after the notification records her visit.
    db.session.execute(update(User).where(User.id == ana.id).values(
        last_seen_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert browser.get("/").status_code == 200
    _dropped(queued.id, smtp, "on the site")


def test_a_member_signed_in_before_the_notification_and_away_since_gets_mail(app, smtp, scene,
                                                                             client):
    from tests.conftest import Browser

    ana, ben, thread, reply = scene
    Browser(client).login("ana")
    notify(ana, reply)
    make_due()
    assert mail.send_pending().sent == 1


def test_last_seen_is_written_at_most_once_a_minute_and_not_for_static_or_health(
        app, scene, client):
    from tests.conftest import Browser

    ana = scene[0]
    browser = Browser(client)
    browser.login("ana")
    db.session.rollback()  # the test shares the requests' session: see the write since
    seen = db.session.scalar(select(User.last_seen_at).where(User.id == ana.id))
    assert seen is not None
    long_ago = utcnow() - timedelta(minutes=5)

    def set_seen(when):
        db.session.execute(update(User).where(User.id == ana.id).values(last_seen_at=when))
        db.session.commit()

    def seen_now():
        db.session.rollback()
        return db.session.scalar(select(User.last_seen_at).where(User.id == ana.id))

    set_seen(long_ago)
    browser.get("/healthz")
    browser.get("/static/css/forum.css")
    assert seen_now() == long_ago
    browser.get("/")
    first = seen_now()
    assert first > long_ago
    browser.get("/")
    assert seen_now() == first  # within the minute: no second write


@pytest.mark.parametrize("change", ["hidden", "held", "deleted", "thread hidden"])
def test_a_notification_about_what_the_member_may_no_longer_see_is_dropped(app, smtp, scene,
                                                                           change):
    ana, ben, thread, reply = scene
    cara = make_user("cara")  # watches the thread; neither its starter nor the replier
    queued = notify(cara, reply)
    now = utcnow()
    if change == "thread hidden":
        db.session.execute(update(Thread).values(hidden_at=now))
    else:
        db.session.execute(update(Post).where(Post.id == reply.id).values(
            **{f"{change}_at": now}))
    db.session.commit()
    _dropped(queued.id, smtp, "may not see")


@pytest.mark.parametrize("change", ["hidden", "held", "thread hidden"])
def test_a_moderator_watching_is_not_mailed_what_the_notifications_page_leaves_out(
        app, smtp, scene, change):
    ana, ben, thread, reply = scene
    jo = make_user("mod_jo", role="moderator")  # may open hidden and held posts
    queued = notify(jo, reply)
    now = utcnow()
    if change == "thread hidden":
        db.session.execute(update(Thread).values(hidden_at=now))
    else:
        db.session.execute(update(Post).where(Post.id == reply.id).values(
            **{f"{change}_at": now}))
    db.session.commit()
    _dropped(queued.id, smtp, "may not see")


def test_a_hidden_threads_author_is_not_mailed_its_replies(app, smtp, scene):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)  # ana started the thread: she may still open it
    db.session.execute(update(Thread).values(hidden_at=utcnow()))
    db.session.commit()
    _dropped(queued.id, smtp, "may not see")


def test_a_notification_from_a_member_muted_since_is_not_mailed(app, smtp, scene):
    from forum.domain import watching

    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    watching.mute_member(ana, ben)
    db.session.commit()
    _dropped(queued.id, smtp, "may not see")


@pytest.mark.parametrize("change", [{"email_notifications": "daily"},
                                    {"email_notifications": "none"},
                                    {"banned_at": datetime(2026, 1, 1, tzinfo=UTC)}])
def test_a_member_who_no_longer_wants_immediate_mail_or_is_banned_gets_none(app, smtp, scene,
                                                                            change):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    db.session.execute(update(User).where(User.id == ana.id).values(**change))
    db.session.commit()
    _dropped(queued.id, smtp, "member")


def test_members_only_text_never_goes_into_a_mail(app, smtp, scene):
    ana, ben, thread, reply = scene
    db.session.execute(update(Thread).values(members_only=True))
    db.session.commit()
    notify(ana, reply)
    make_due()
    mail.send_pending()
    (sent,) = smtp.to("ana@example.org")
    for part in (sent.get_body(("plain",)), sent.get_body(("html",))):
        assert "Reply number 1" not in part.get_content()
        assert f"/p/{reply.id}" in part.get_content()


def test_quiet_hours_delay_the_mail_to_their_end_in_the_members_zone(app, smtp, scene):
    ana, ben, thread, reply = scene
    zone = ZoneInfo("America/Sao_Paulo")
    hour = utcnow().astimezone(zone).hour
    ana.timezone, ana.quiet_from, ana.quiet_until = "America/Sao_Paulo", hour, (hour + 2) % 24
    db.session.commit()
    queued = notify(ana, reply)
    make_due()
    assert mail.send_pending().delayed == 1 and smtp.messages == []
    later = row(queued.id).send_after.astimezone(zone)
    assert (later.hour, later.minute) == ((hour + 2) % 24, 0)
    assert timedelta(hours=1) < later - utcnow() <= timedelta(hours=2)
    assert row(queued.id).attempts == 0 and row(queued.id).dropped_at is None


def test_quiet_hours_across_midnight_end_next_morning():
    member = User(timezone="Europe/Madrid", quiet_from=22, quiet_until=7)
    madrid = ZoneInfo("Europe/Madrid")
    late = datetime(2026, 3, 10, 23, 30, tzinfo=madrid)
    assert mail.quiet_until(member, late) == datetime(2026, 3, 11, 7, tzinfo=madrid)
    early = datetime(2026, 3, 11, 6, 59, tzinfo=madrid)
    assert mail.quiet_until(member, early) == datetime(2026, 3, 11, 7, tzinfo=madrid)
    assert mail.quiet_until(member, datetime(2026, 3, 11, 7, 0, tzinfo=madrid)) is None
    assert mail.quiet_until(member, datetime(2026, 3, 11, 21, 59, tzinfo=madrid)) is None
    assert mail.quiet_until(User(timezone="Europe/Madrid"), late) is None


def test_mail_send_command_reports_counts_and_exit_code(app, smtp, scene):
    ana, ben, thread, reply = scene
    notify(ana, reply)
    queued = notify  # noqa: F841
    db.session.execute(update(Notification).values(read_at=utcnow()))
    mail.queue(ben, "reset", token="t0ken")
    db.session.commit()
    make_due()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 sent, 0 failed. (1 dropped)" in result.output


def test_the_list_unsubscribe_link_of_a_real_mail_stops_the_next_one(app, smtp, scene, client):
    ana, ben, thread, reply = scene
    notify(ana, reply)
    make_due()
    mail.send_pending()
    (sent,) = smtp.to("ana@example.org")
    db.session.add(Notification(user_id=ana.id, kind="mention", event=f"mention:{reply.id}",
                                thread_id=thread.id, post_id=reply.id, actor_id=ben.id))
    db.session.flush()
    mail.queue_notifications(f"mention:{reply.id}")
    db.session.commit()

    path = sent["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:5000")
    # RFC 8058: the mail client posts this body, with no cookie and no CSRF token.
    response = client.post(path, data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    make_due()
    counts = mail.send_pending()
    assert counts.dropped == 1 and counts.sent == 0 and len(smtp.messages) == 1


# -- a long subject, and recording what was sent ----------------------------------------------

def test_a_long_title_and_name_make_a_subject_cut_to_fit_sent_once_and_marked_sent(app, smtp):
    ana = make_user("ana")
    expert = make_user("e" * 30)
    title = "Cooling " * 18 + "vests!"  # 150 characters, the longest a title is
    assert len(title) == 150
    thread = make_discussion(ana, make_category(), title=title, body="Do they help?",
                             replies=1, repliers=[expert])
    reply = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False)))
    queued = notify(ana, reply, kind="expert_reply", actor=expert)
    make_due()
    counts = mail.send_pending()
    assert (counts.sent, counts.failed) == (1, 0)
    (sent,) = smtp.to("ana@example.org")
    subject = sent["Subject"].replace("\n", "").replace("\r", "")
    assert len(subject) <= 200 and subject.endswith("…") and subject.startswith("A verified")
    assert not subject[:-1].endswith(" ") and "Coolin…" not in subject  # cut on a word
    stored = row(queued.id)
    assert stored.sent_at is not None and stored.attempts == 1 and stored.subject == subject
    make_due()
    assert sum(mail.send_pending().values()) == 0 and len(smtp.messages) == 1


def test_a_delivered_mail_whose_text_cannot_be_recorded_is_still_marked_sent_once(
        app, smtp, scene, monkeypatch, caplog):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    written = mail.mailtext.compose

    def too_long(*args, **kwargs):  # a subject longer than the column (DataError on Postgres)
        subject, body, html = written(*args, **kwargs)
        return "x" * 300, body, html

    monkeypatch.setattr(mail.mailtext, "compose", too_long)
    make_due()
    counts = mail.send_pending()
    assert (counts.sent, counts.failed) == (1, 0) and len(smtp.messages) == 1
    stored = row(queued.id)
    assert stored.sent_at is not None and stored.attempts == 1 and stored.claimed_by == ""
    make_due()
    assert sum(mail.send_pending().values()) == 0 and len(smtp.messages) == 1
    assert "ana@example.org" not in caplog.text


# -- collapsed replies mail again --------------------------------------------------------------

def test_a_collapsed_reply_notification_mails_again_but_never_two_at_once(app, smtp, scene):
    from forum.domain.posts import add_reply

    ana, ben, thread, reply = scene  # ana started the thread and watches it

    def ana_rows():
        db.session.expire_all()
        return db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.user_id == ana.id).order_by(OutboxMessage.id)).all()

    add_reply(thread, ben, "First reply while she is away")
    (first,) = ana_rows()
    db.session.execute(update(User).where(User.id == ana.id).values(last_seen_at=utcnow()))
    db.session.commit()
    make_due()
    assert mail.send_pending().dropped == 1  # seen on the site since: dropped

    add_reply(thread, ben, "Second reply, she is away now")
    assert len(ana_rows()) == 2  # the collapsed notification grew: a new mail
    add_reply(thread, ben, "Third reply, the second mail is still pending")
    assert len(ana_rows()) == 2  # never a second pending row
    (note,) = db.session.scalars(select(Notification).where(
        Notification.user_id == ana.id)).all()
    assert note.count == 3 and note.read_at is None
    make_due()
    assert mail.send_pending().sent == 1
    (sent,) = smtp.to("ana@example.org")
    assert "3 new replies" in sent["Subject"]

    add_reply(thread, ben, "Fourth reply, after that mail went")
    rows = ana_rows()
    assert len(rows) == 3 and rows[-1].sent_at is None and rows[-1].dropped_at is None
    assert {row.notification_id for row in rows} == {note.id}


# -- what a mail says ---------------------------------------------------------------------------

@pytest.mark.parametrize("gone", ["closed", "erased"])
def test_mail_for_a_deleted_actors_reply_names_a_former_member(app, smtp, scene, gone):
    ana, ben, thread, reply = scene
    queued = notify(ana, reply)
    if gone == "closed":
        db.session.execute(update(User).where(User.id == ben.id).values(deleted_at=utcnow()))
    else:
        db.session.execute(update(Notification).values(actor_id=None))
    db.session.commit()
    make_due()
    assert mail.send_pending().sent == 1
    (sent,) = smtp.to("ana@example.org")
    assert sent["Subject"] == "a former member replied in Cooling vests <in summer>"
    plain = sent.get_body(("plain",)).get_content()
    assert "a former member replied in Cooling vests <in summer>\n" in plain.replace("\r", "")
    assert " replied in Cooling vests <in summer>." not in plain  # no "." added to a sentence
    assert row(queued.id).sent_at is not None


def test_mail_says_what_the_notifications_page_says(app, smtp, scene):
    ana, ben, thread, reply = scene
    notify(ana, reply, kind="reply_to_you")
    make_due()
    mail.send_pending()
    (sent,) = smtp.to("ana@example.org")
    assert sent["Subject"] == "ben quoted you in Cooling vests <in summer>"
