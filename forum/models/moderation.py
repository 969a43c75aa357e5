"""Moderation: reports, the moderators' log and the admins' community settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import AlertKind, FlagReason, UTCDateTime, _in, utcnow
from .content import Post, Thread
from .users import User


class Flag(db.Model):
    """A member's report of a post (or of a user), and what the moderators did."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(_in("reason", FlagReason), name="ck_flags_reason"),
        Index("ix_flags_open", "resolved_at", "created_at"),
        # One open report per member per post, however fast they click.
        Index(
            "uq_flags_open_report", "post_id", "reporter_id", unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # hidden, labelled, locked, dismissed, suspended
    resolution: Mapped[str] = mapped_column(String(20), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")

    post: Mapped[Post | None] = relationship()
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class SafetyAlert(db.Model):
    """Something the forum itself raises for moderators (never an automatic action): a
    published post with crisis language, an account reading faster than a person
    could, a member ignored by many. `key` names what it is about ("crisis:post:12",
    "reading:user:5"): one open alert per key. Escalated alerts are for admins too."""

    __tablename__ = "safety_alerts"
    __table_args__ = (
        CheckConstraint(_in("kind", AlertKind), name="ck_safety_alerts_kind"),
        Index("ix_safety_alerts_open", "resolved_at", "created_at"),
        Index("uq_safety_alerts_open_key", "key", unique=True,
              sqlite_where=text("resolved_at IS NULL"),
              postgresql_where=text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(60))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    # The author of the post, or the account reading fast, or the member ignored.
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What raised it, in English: the phrases matched, the rate seen, the count.
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    post: Mapped[Post | None] = relationship()
    thread: Mapped[Thread | None] = relationship()
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
    escalated_by: Mapped[User | None] = relationship(foreign_keys=[escalated_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class CommunitySetting(db.Model):
    """An admin's choice for a community setting, overriding the configured default."""

    __tablename__ = "community_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    # Numbers, switches, and long texts: lists of phrases or domains, the guidelines.
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ModerationEvent(db.Model):
    """Append-only log of moderator actions: who did what to which thing, when and why."""

    __tablename__ = "moderation_events"
    __table_args__ = (Index("ix_moderation_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), index=True
    )
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
