"""What a mail says, written in its recipient's language; whether a notification or
digest mail due now still goes; and the signed links that unsubscribe from them.
forum.domain.mail sends what this writes."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, select

from .. import i18n, text
from ..extensions import db
from ..models import EmailChoice, MailKind, Notification, User
from ..permissions import can_view_post, can_view_thread, visible_notifications

SENT, FAILED, DROPPED, DELAYED = "sent", "failed", "dropped", "delayed"
_UNSUBSCRIBE_SALT = "forum.mail.unsubscribe"
_UNSUBSCRIBE_PURPOSE = "notifications"
_URL = re.compile(r"https?://[^\s<>\"']+")
SUBJECT_LENGTH = 200  # outbox.subject is String(200)


@contextmanager
def _as_reader(user: User):
    """In the recipient's language and time zone (which the request's own may not be).
    Links always point at the configured public address, never at the Host header of
    the request that caused the mail (which anyone can set)."""
    language, zone = i18n.reader(user)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]), \
            i18n.written_in(language, zone):
        yield


def compose(template: str, user: User, **context) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of templates/mail/<template>.txt for `user`; the HTML
    is the same text, escaped, in large high-contrast type with its links clickable."""
    with _as_reader(user):
        written = render_template(f"mail/{template}.txt", user=user, **context)
        subject, _newline, body = written.partition("\n")
        subject, body = text.shorten(subject.strip(), SUBJECT_LENGTH), body.strip() + "\n"
        html = render_template("mail/layout.html", subject=subject,
                               paragraphs=_paragraphs(body), language=i18n.reader(user)[0])
    return subject, body, html


def _paragraphs(body: str) -> list[list[list[tuple[str, str | None]]]]:
    """Paragraphs (blank-line separated) of lines of (text, href) pieces."""
    return [[_pieces(line) for line in _lines(block)]
            for block in re.split(r"\n\s*\n", body.strip()) if block.strip()]


def _lines(block: str) -> list[str]:
    """A paragraph's lines as a reader should see them: the text's hard wrapping joined
    up, but a list item, a link on its own line or what follows a colon kept apart."""
    lines: list[str] = []
    for line in block.splitlines():
        stripped = line.strip()
        apart = (not lines or stripped.startswith("- ") or _URL.match(stripped)
                 or lines[-1].endswith(":") or line.startswith("  "))
        if apart:
            lines.append(stripped)
        else:
            lines[-1] = f"{lines[-1]} {stripped}"
    return lines


def _pieces(line: str) -> list[tuple[str, str | None]]:
    pieces, last = [], 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(".,;:)")
        pieces.append((line[last:match.start()], None))
        pieces.append((url, url))
        last = match.start() + len(url)
    pieces.append((line[last:], None))
    return pieces


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """A link's token that stops notification and digest mail for this member. It does
    not expire: a mail read a year later still unsubscribes."""
    return _serializer().dumps([user_id, _UNSUBSCRIBE_PURPOSE])


def unsubscribe_url(user_id: int) -> str:
    return url_for("accounts.unsubscribe", token=unsubscribe_token(user_id), _external=True)


def unsubscribing(token: str) -> User | None:
    """The member a token unsubscribes, or None for a tampered or foreign token."""
    try:
        user_id, purpose = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if purpose != _UNSUBSCRIBE_PURPOSE or not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.deleted_at is None else None


def verdict(message, now: datetime):
    """Whether a notification or digest row goes now: (SENT, None) with its text written
    out, (DROPPED, why) or (DELAYED, until when)."""
    user = db.session.get(User, message.user_id) if message.user_id else None
    if user is None or user.deleted_at is not None or user.banned_at is not None \
            or not user.email:
        return DROPPED, "the member is gone or banned"
    if message.kind == MailKind.DIGEST.value:
        if user.email_notifications not in (EmailChoice.DAILY.value, EmailChoice.WEEKLY.value):
            return DROPPED, "the member no longer wants digests"
        return SENT, None
    notification = db.session.get(Notification, message.notification_id) \
        if message.notification_id else None
    if notification is None:
        return DROPPED, "no notification"
    if notification.read_at is not None:
        return DROPPED, "read on the site"
    if user.email_notifications != EmailChoice.IMMEDIATE.value:
        return DROPPED, "the member no longer wants immediate mail"
    if user.last_seen_at is not None and user.last_seen_at > notification.updated_at:
        return DROPPED, "the member was on the site since"
    if not db.session.scalar(select(exists().where(
            Notification.id == notification.id, visible_notifications(user.id)))):
        return DROPPED, "the member may not see it (as on the notifications page)"
    thread, post = notification.thread, notification.post
    if post is not None:
        thread = post.thread
    if thread is not None and not can_view_thread(user, thread):
        return DROPPED, "the member may not see the thread"
    if post is not None and not can_view_post(user, post):
        return DROPPED, "the member may not see the post"
    later = quiet_until(user, now)
    if later is not None:
        return DELAYED, later
    message.subject, message.body, message.html_body = compose(
        "notification", user, notification=notification, thread=thread, post=post,
        excerpt=_excerpt(thread, post), unsubscribe=unsubscribe_url)
    return SENT, None


def _excerpt(thread, post) -> str:
    # Members-only threads (#14) keep their words on the site: a mail says only where.
    if post is None or getattr(thread, "members_only", False) or post.deleted_at is not None:
        return ""
    return text.excerpt(post.body_html)


def quiet_until(user: User, now: datetime) -> datetime | None:
    """When the member's quiet hours end (UTC), if `now` is inside them; else None.
    quiet_from/quiet_until are hours 0-23 in their own time zone; 22 → 7 spans midnight."""
    start, end = user.quiet_from, user.quiet_until
    if start is None or end is None or start == end:
        return None
    zone = ZoneInfo(i18n.timezone_for(user))
    local = now.astimezone(zone)
    inside = start <= local.hour < end if start < end else (local.hour >= start
                                                            or local.hour < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), time(end), tzinfo=zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), time(end), tzinfo=zone)
    return ends.astimezone(UTC)


