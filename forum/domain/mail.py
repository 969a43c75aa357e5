"""Outgoing mail, through the outbox.

`queue` writes a message in the caller's transaction, so mail exists exactly
when what caused it was committed. `send_queued` delivers the messages queued
in this session once the commit is made: in a request, only after the response
has gone to the browser, so no answer waits for (or is timed by) the mail
server: "check your email" takes as long for a taken address as for a new one.
Anything that fails stays pending for `flask --app forum mail send` to retry.
Without MAIL_SERVER, delivery means writing the message to the log in
development (in production only that it was not sent; never its address or
text); development and tests read the outbox table, and `/dev/mail` shows it.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import after_this_request, current_app, has_request_context, render_template, request
from sqlalchemy import insert, inspect, literal, select, update

from .. import i18n
from ..extensions import db
from ..models import EmailChoice, MailKind, Notification, OutboxMessage, User, utcnow

log = logging.getLogger("forum.mail")  # the name operators filter on
MAX_ATTEMPTS = 10
_QUEUED = "forum.mail.queued"


def queue(user: User, template: str, recipient: str | None = None, **context) -> OutboxMessage:
    """Add a message rendered from templates/mail/<template>.txt; its first line is the subject."""
    subject, _newline, body = _render(template, user=user, **context).partition("\n")
    message = OutboxMessage(
        user_id=user.id,
        recipient=recipient or user.email,
        subject=subject.strip(),
        body=body.strip() + "\n",
    )
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


def queue_notifications(event: str) -> None:
    """Put in the outbox, in one statement, a mail for every notification `event` made
    for a member who wants immediate email. Called in the transaction that made them;
    the worker writes each one out when it is due (MAIL_AWAY_MINUTES later: if the member
    has seen it on the site by then, or may no longer see what it is about, it is
    dropped instead)."""
    now = utcnow()
    due = now + timedelta(minutes=current_app.config["MAIL_AWAY_MINUTES"])
    already = select(OutboxMessage.id).where(OutboxMessage.notification_id == Notification.id)
    rows = (
        select(Notification.user_id, User.email, literal(""), literal(""), literal(now),
               literal(0), literal(""), literal(MailKind.NOTIFICATION.value), literal(""),
               Notification.id, literal(due), literal(""))
        .join(User, User.id == Notification.user_id)
        .where(Notification.event == event, Notification.read_at.is_(None),
               User.email_notifications == EmailChoice.IMMEDIATE.value,
               User.email.is_not(None), User.deleted_at.is_(None), ~already.exists())
    )
    db.session.execute(insert(OutboxMessage).from_select(
        ["user_id", "recipient", "subject", "body", "created_at", "attempts", "last_error",
         "kind", "html_body", "notification_id", "send_after", "claimed_by"], rows))


def _render(template: str, user: User, **context) -> str:
    # In the recipient's language and time zone (which the request's own may not be).
    # Links always point at the configured public address, never at the Host header
    # of the request that caused the mail (which anyone can set).
    language, zone = i18n.reader(user)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]), \
            i18n.written_in(language, zone):
        return render_template(f"mail/{template}.txt", user=user, **context)


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


def _send(ids: list[int]) -> None:
    """Read, deliver, then record, each on its own: no transaction stays open while the
    mail server answers, and the record starts a fresh one with its write, which on
    SQLite waits its turn (a read transaction that later writes fails at once if another
    process wrote meanwhile: "database is locked")."""
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))).all()
    for message in messages:
        db.session.expunge(message)
    db.session.rollback()
    for message in messages:
        _attempt(message)
    for message in messages:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
            attempts=message.attempts, sent_at=message.sent_at, last_error=message.last_error))
    db.session.commit()


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Retry unsent messages, oldest first. Returns (sent, failed)."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = sum(_attempt(message) for message in pending)
    db.session.commit()
    return sent, len(pending) - sent


def _attempt(message: OutboxMessage) -> bool:
    message.attempts += 1
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        # The error's text can name the recipient (SMTPRecipientsRefused): the outbox
        # row keeps it; the log says only which message and what kind of failure.
        log.warning("mail to outbox id %s failed: %s", message.id, type(error).__name__)
        return False
    message.sent_at = utcnow()
    message.last_error = ""
    return True


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if config["FORUM_ENV"] == "production":
            # Bodies hold sign-in links and addresses are personal: in production the log
            # says only that a message was not sent.
            log.warning("no MAIL_SERVER: outbox id %s not sent", message.id)
        else:
            log.info("mail to %s: %s\n\n%s", message.recipient, message.subject, message.body)
        return
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def outbox_page(page: int, per_page: int):
    """The outbox, newest first (for `/dev/mail`)."""
    return db.paginate(select(OutboxMessage).order_by(OutboxMessage.id.desc()),
                       page=page, per_page=per_page, error_out=False)
