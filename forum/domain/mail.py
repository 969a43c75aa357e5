"""Outgoing mail, through the outbox.

`queue` writes a message in the caller's transaction, so mail exists exactly
when what caused it was committed. `send_queued` delivers the messages queued
in this session once the commit is made: in a request, only after the response
has gone to the browser, so no answer waits for (or is timed by) the mail
server: "check your email" takes as long for a taken address as for a new one.
Anything that fails stays pending for `flask --app forum mail send` to retry.

Every sender claims rows before it sends them (`_claim`: claimed_by, claimed_until,
in one committed statement), so the after-response send and any number of workers
never send one row twice; a sender that dies leaves its claim to expire. A failure
waits longer each time (`backoff`). Notification rows are written out only when due
(`_write_notification`), in the recipient's language, or dropped when the member has
seen it on the site, may no longer see what it is about, or no longer wants it.

Without MAIL_SERVER, delivery means writing the message to the log in development;
in production nothing is sent and nothing is marked sent: the rows wait for a mail
server (and the log says so once per pass, never an address or a text).
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import socket
from datetime import datetime, timedelta
from email.message import EmailMessage
from types import SimpleNamespace

from flask import after_this_request, current_app, has_request_context, request
from sqlalchemy import and_, insert, inspect, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import (
    EmailChoice,
    MailKind,
    Notification,
    NotificationKind,
    OutboxMessage,
    User,
    utcnow,
)
from . import mailtext

log = logging.getLogger("forum.mail")  # the name operators filter on
MAX_ATTEMPTS = 10
CLAIM_SECONDS = 60  # plus PER_MESSAGE_SECONDS a row: a dead sender's rows wait this long
PER_MESSAGE_SECONDS = 15  # more than the SMTP timeout (10 s) and the writing out
MAX_BACKOFF = timedelta(hours=6)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
_QUEUED = "forum.mail.queued"
_warned_no_server = False

SENT, FAILED, DROPPED, DELAYED = mailtext.SENT, mailtext.FAILED, mailtext.DROPPED, mailtext.DELAYED
WAITING = "waiting"
# What callers ask of the mail module, written in forum.domain.mailtext.
compose, quiet_until = mailtext.compose, mailtext.quiet_until
unsubscribe_token, unsubscribe_url = mailtext.unsubscribe_token, mailtext.unsubscribe_url
unsubscribing = mailtext.unsubscribing


class Pass(dict):
    """How many rows one pass sent, failed, dropped, delayed (quiet hours) or left
    waiting (no mail server)."""

    def __missing__(self, name):
        return 0

    def __getattr__(self, name):
        return self[name]


def queue(user: User, template: str, recipient: str | None = None, **context) -> OutboxMessage:
    """Add a message rendered from templates/mail/<template>.txt; its first line is the subject."""
    subject, body, html = mailtext.compose(template, user, **context)
    message = OutboxMessage(user_id=user.id, recipient=recipient or user.email,
                            subject=subject, body=body, html_body=html)
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


def queue_notifications(event: str, thread_id: int | None = None,
                        collapsed_at: datetime | None = None) -> None:
    """Put in the outbox, in one statement, a mail for every notification `event` made
    for a member who wants immediate email, and (with `thread_id` and `collapsed_at`)
    for the unread reply notifications of that thread that grew at `collapsed_at`.
    Called in the transaction that made them; the worker writes each one out when it is
    due (MAIL_AWAY_MINUTES later: if the member has seen it on the site by then, or may
    no longer see what it is about, it is dropped instead).

    A notification gets a new mail unless one is still pending, or one was already
    queued since it last changed (a post edited later is the same event: no second mail
    for it). So a collapsed notification whose first mail was dropped or sent mails
    again when it grows, and never twice at once."""
    now = utcnow()
    due = now + timedelta(minutes=current_app.config["MAIL_AWAY_MINUTES"])
    already = select(OutboxMessage.id).where(
        OutboxMessage.notification_id == Notification.id,
        or_(and_(OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None)),
            OutboxMessage.created_at >= Notification.updated_at))
    which = Notification.event == event
    if thread_id is not None and collapsed_at is not None:
        which = or_(which, and_(Notification.thread_id == thread_id,
                                Notification.kind == NotificationKind.REPLY.value,
                                Notification.updated_at == collapsed_at))
    rows = (
        select(Notification.user_id, User.email, literal(""), literal(""), literal(now),
               literal(0), literal(""), literal(MailKind.NOTIFICATION.value), literal(""),
               Notification.id, literal(due), literal(""))
        .join(User, User.id == Notification.user_id)
        .where(which, Notification.read_at.is_(None),
               User.email_notifications == EmailChoice.IMMEDIATE.value,
               User.email.is_not(None), User.deleted_at.is_(None), ~already.exists())
    )
    db.session.execute(insert(OutboxMessage).from_select(
        ["user_id", "recipient", "subject", "body", "created_at", "attempts", "last_error",
         "kind", "html_body", "notification_id", "send_after", "claimed_by"], rows))


# -- unsubscribing and being seen ---------------------------------------------------------

def unsubscribe(user: User) -> None:
    """No more notification mail or digests; pending ones are dropped when due."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(email_notifications=EmailChoice.NONE.value))
    db.session.commit()


def note_seen(user: User) -> None:
    """Record that `user` is on the site (immediate mail waits for them to be away),
    at most one write a minute: compared here first, then one guarded UPDATE."""
    now = utcnow()
    cutoff = now - SEEN_EVERY
    if user.last_seen_at is not None and user.last_seen_at >= cutoff:
        return
    if db.session.new or db.session.dirty or db.session.deleted:
        return  # never commit what a request left unsaved; the next page records it
    # In the request's own transaction (on SQLite each one holds the write lock, so a
    # second connection would wait for it), committed on its own.
    db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.last_seen_at.is_(None), User.last_seen_at < cutoff))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    set_committed_value(user, "last_seen_at", now)


# -- sending -------------------------------------------------------------------------------

def send_queued() -> None:
    """Deliver what this session queued; call after the commit that made it real.
    In a request, delivery waits until the response is sent."""
    # Ids from the identity map: reading `.id` after the commit would start a new
    # transaction (a write lock on SQLite, for a POST) for the rest of the request.
    ids = [inspect(message).identity[0] for message in db.session.info.pop(_QUEUED, [])]
    if not ids:
        return
    if not has_request_context():
        _send(ids)
        return
    waiting = request.environ.setdefault(_AFTER_RESPONSE, [])
    if not waiting:
        app = current_app._get_current_object()

        @after_this_request
        def send_when_sent(response):
            # The server calls this once the last byte has gone to the browser.
            response.call_on_close(lambda: _send_after_response(app, waiting))
            return response
    waiting.extend(ids)


_AFTER_RESPONSE = "forum.mail.after_response"


def _send_after_response(app, ids: list[int]) -> None:
    with app.app_context():
        try:
            _send(ids)
        except Exception:  # the response is gone; `mail send` retries what is pending
            log.exception("sending mail after the response failed")
            db.session.rollback()
        finally:
            db.session.remove()


def _send(ids: list[int]) -> Pass:
    return _run(len(ids), ids)


def send_pending(limit: int = 20) -> Pass:
    """One pass of the worker: claim up to `limit` due rows, oldest first, and send,
    drop or delay each. Returns the counts."""
    return _run(limit)


def _run(limit: int, ids: list[int] | None = None) -> Pass:
    """Claim, then each on its own: read (and write out) the message, deliver it with no
    transaction open while the mail server answers, then record the outcome in a fresh
    transaction that starts with its write (on SQLite a read transaction that later
    writes fails at once if another process wrote meanwhile: "database is locked")."""
    me, messages = _claim(limit, ids)
    counts = Pass()
    for message in messages:
        if utcnow() >= message.claimed_until - timedelta(seconds=PER_MESSAGE_SECONDS):
            # Too slow a pass: the claim would end mid-send; give the rest back.
            counts[_record(message, me, WAITING)] += 1
            continue
        try:
            outcome = _process(message, me)
        except Exception as error:  # one bad row must not stop the others, nor loop for ever
            db.session.rollback()
            log.exception("writing out outbox id %s failed", message.id)
            outcome = _record(message, me, FAILED, attempts=message.attempts + 1,
                              last_error=f"{type(error).__name__}: {error}"[:500],
                              send_after=utcnow() + backoff(message.attempts + 1))
        counts[outcome] += 1
    if counts.waiting and not current_app.config.get("MAIL_SERVER"):
        # Bodies hold sign-in links and addresses are personal: the log says only that
        # messages were not sent; a warning once per process, then quietly.
        global _warned_no_server
        log.log(logging.DEBUG if _warned_no_server else logging.WARNING,
                "no MAIL_SERVER: %s outbox messages not sent (they stay pending)",
                counts.waiting)
        _warned_no_server = True
    return counts


def _due(now: datetime):
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                or_(OutboxMessage.send_after.is_(None), OutboxMessage.send_after <= now),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def _claim(limit: int, ids: list[int] | None = None) -> tuple[str, list[OutboxMessage]]:
    """Take up to `limit` due rows for this sender, committed before any is sent: on
    Postgres the rows are locked (SKIP LOCKED: another worker takes the next ones) and
    marked; on SQLite one UPDATE marks them (writers take turns, so it is atomic)."""
    me = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:64]
    now = utcnow()
    until = now + timedelta(seconds=CLAIM_SECONDS + PER_MESSAGE_SECONDS * limit)
    chosen = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        chosen = chosen.where(OutboxMessage.id.in_(ids))
    mark = update(OutboxMessage).values(claimed_by=me, claimed_until=until) \
        .execution_options(synchronize_session=False)
    if db.session.get_bind().dialect.name == "postgresql":
        taken = db.session.scalars(chosen.with_for_update(skip_locked=True)).all()
        if taken:
            db.session.execute(mark.where(OutboxMessage.id.in_(taken)))
    else:
        db.session.execute(mark.where(
            OutboxMessage.id.in_(chosen.scalar_subquery()),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)))
    db.session.commit()
    # Plain copies of the rows, not ORM objects: the caller's session (a request's, a
    # test's) keeps its own objects untouched.
    messages = [SimpleNamespace(**row) for row in db.session.execute(
        select(*OutboxMessage.__table__.c).where(
            OutboxMessage.claimed_by == me, OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)).mappings()]
    db.session.rollback()
    return me, messages


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most 6 h."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF) \
        if attempts < 20 else MAX_BACKOFF


def _process(message: OutboxMessage, me: str) -> str:
    now = utcnow()
    values: dict = {}
    if message.kind != MailKind.ACCOUNT.value:
        verdict, detail = mailtext.verdict(message, now)
        db.session.rollback()  # the reads are done; nothing stays open while sending
        if verdict == DROPPED:
            return _record(message, me, DROPPED, dropped_at=now, last_error=f"dropped: {detail}")
        if verdict == DELAYED:
            return _record(message, me, DELAYED, send_after=detail)
        values.update(subject=message.subject, body=message.body, html_body=message.html_body)
    attempts = message.attempts + 1
    try:
        delivered = _deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        # The error's text can name the recipient (SMTPRecipientsRefused): the outbox
        # row keeps it; the log says only which message and what kind of failure.
        log.warning("mail to outbox id %s failed: %s", message.id, type(error).__name__)
        return _record(message, me, FAILED, attempts=attempts,
                       last_error=f"{type(error).__name__}: {error}"[:500],
                       send_after=utcnow() + backoff(attempts))
    if not delivered:
        return _record(message, me, WAITING)
    return _record_sent(message, me, attempts, values)


def _record_sent(message: OutboxMessage, me: str, attempts: int, values: dict) -> str:
    """Mark a delivered message sent. It has gone: whatever happens here, it is never
    counted as failed (that would send it again). If writing its text out fails, roll
    back and record only that it was sent."""
    sent = dict(attempts=attempts, sent_at=utcnow(), last_error="")
    try:
        return _record(message, me, SENT, **sent, **values)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("recording outbox id %s as sent failed; recording it again", message.id)
    try:
        return _record(message, me, SENT, **sent)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("outbox id %s was sent but could not be marked sent", message.id)
    return SENT


def _record(message: OutboxMessage, me: str, outcome: str, **values) -> str:
    """Write the outcome and give the claim back, only if the claim is still ours."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == me)
        .values(claimed_by="", claimed_until=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return outcome


def _deliver(message: OutboxMessage) -> bool:
    """Hand the message to the mail server; False when there is none to hand it to."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if config["FORUM_ENV"] == "production":
            return False
        log.info("mail to %s: %s\n\n%s", message.recipient, message.subject, message.body)
        return True
    email = build_email(message)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
    return True


def build_email(message: OutboxMessage) -> EmailMessage:
    """The message as sent: plain text, and HTML beside it (multipart/alternative);
    notification and digest mail say how to unsubscribe in one click (RFC 8058)."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    if message.kind != MailKind.ACCOUNT.value and message.user_id:
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
            email["List-Unsubscribe"] = f"<{mailtext.unsubscribe_url(message.user_id)}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


def outbox_page(page: int, per_page: int):
    """The outbox, newest first (for `/dev/mail`)."""
    return db.paginate(select(OutboxMessage).order_by(OutboxMessage.id.desc()),
                       page=page, per_page=per_page, error_out=False)
