"""Outgoing mail, through the outbox.

`queue` writes a message in the caller's transaction, so mail exists exactly
when what caused it was committed. `send_queued` delivers the messages queued
in this session right after the commit; anything that fails stays pending for
`flask --app forum mail send` to retry. Without MAIL_SERVER, delivery means
writing the message to the log (development and tests read the outbox table).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select

from .extensions import db
from .models import OutboxMessage, User, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
_QUEUED = "forum.mail.queued"


def queue(user: User, template: str, recipient: str | None = None, **context) -> OutboxMessage:
    """Add a message rendered from templates/mail/<template>.txt; its first line is the subject."""
    subject, _, body = _render(template, user=user, **context).partition("\n")
    message = OutboxMessage(
        user_id=user.id,
        recipient=recipient or user.email,
        subject=subject.strip(),
        body=body.strip() + "\n",
    )
    db.session.add(message)
    db.session.info.setdefault(_QUEUED, []).append(message)
    return message


def _render(template: str, **context) -> str:
    # Links always point at the configured public address, never at the Host header
    # of the request that caused the mail (which anyone can set).
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return render_template(f"mail/{template}.txt", **context)


def send_queued() -> None:
    """Deliver what this session queued; call after the commit that made it real."""
    messages = db.session.info.pop(_QUEUED, [])
    for message in messages:
        _attempt(message)
    if messages:
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
        log.warning("mail %s to outbox id %s failed: %s", message.subject, message.id, error)
        return False
    message.sent_at = utcnow()
    message.last_error = ""
    return True


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if config["FORUM_ENV"] == "production":
            # The body holds sign-in links: in production the log says only that it went.
            log.warning("no MAIL_SERVER: %r (outbox id %s) not sent", message.subject, message.id)
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
