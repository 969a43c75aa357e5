"""Mail the forum sends: written with the change that caused it, sent after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import MailKind, UTCDateTime, _in, utcnow


class OutboxMessage(db.Model):
    """Every email, written in the transaction that caused it and sent after commit;
    a failed send stays here for `flask --app forum mail send` to retry."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "sent_at", "id"),
        CheckConstraint(_in("kind", MailKind), name="ck_outbox_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept so a deleted account's pending mail can be removed with it.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(
        String(16), default=MailKind.ACCOUNT.value, server_default=MailKind.ACCOUNT.value)
    # The HTML part (the plain text is `body`); empty for plain-text-only mail.
    html_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A NOTIFICATION row is written with its notification, in the same transaction, and
    # is written out (subject, body, in the recipient's language) by the worker when it
    # is sent: if by then the member has read it on the site, or may no longer see what
    # it is about, it is dropped instead.
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    # Not before this time: the away delay, quiet hours, and backoff after a failure.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's claim: until this time, only the worker named may send the row.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Dropped instead of sent (read on the site first, no longer visible, unsubscribed).
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
