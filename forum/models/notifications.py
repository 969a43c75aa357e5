"""Staying in touch: what members watch or mute, their notifications, the members they
muted, and their bookmarks (forum.domain.watching, notifications, bookmarks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import NotificationKind, UTCDateTime, WatchLevel, _in, utcnow
from .content import Post, Thread
from .users import User


class ThreadWatch(db.Model):
    """A member's level for one thread. No row is NORMAL; starting or replying to a
    thread writes WATCHING (unless the member chose a level for it already)."""

    __tablename__ = "thread_watches"
    __table_args__ = (CheckConstraint(_in("level", WatchLevel), name="ck_thread_watches_level"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Fan-out reads every watcher of one thread: the index on thread_id serves it.
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoryWatch(db.Model):
    """A member's level for a category: WATCHING hears of every new thread in it (and
    watches it), MUTED keeps its threads out of the member's notifications."""

    __tablename__ = "category_watches"
    __table_args__ = (
        CheckConstraint(_in("level", WatchLevel), name="ck_category_watches_level"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagWatch(db.Model):
    """A member's level for a tag, as for a category."""

    __tablename__ = "tag_watches"
    __table_args__ = (CheckConstraint(_in("level", WatchLevel), name="ck_tag_watches_level"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberMute(db.Model):
    """A member muted by another: nothing they do notifies the one who muted them."""

    __tablename__ = "member_mutes"
    __table_args__ = (CheckConstraint("user_id <> muted_user_id", name="ck_member_mutes_self"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    muted_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    muted: Mapped[User] = relationship(foreign_keys=[muted_user_id])


class MemberIgnore(db.Model):
    """A member ignored by another: their posts collapse for the one who ignores them
    ("a post by someone you ignore — show"). Staff cannot be ignored
    (permissions.can_ignore)."""

    __tablename__ = "member_ignores"
    __table_args__ = (
        CheckConstraint("user_id <> ignored_user_id", name="ck_member_ignores_self"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # "Ignored by many" counts by this column.
    ignored_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ignored: Mapped[User] = relationship(foreign_keys=[ignored_user_id])


class Notification(db.Model):
    """One thing a member is told about, once. `event` names what caused it ("post:12",
    "answer:12", "moderation:7", "reminder:3"): one notification per event per member.
    While a REPLY notification for a thread is unread, later replies there collapse into
    it: `count` grows and `post_id` moves to the newest. Whether the member may still see
    what it points at is decided when it is shown or mailed, never only when made."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", NotificationKind), name="ck_notifications_kind"),
        UniqueConstraint("user_id", "event", name="uq_notifications_user_event"),
        # The bell (unread per member) and the page (newest first per member).
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_id", "user_id", "id"),
        Index("ix_notifications_thread", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer, default=1)
    # For MODERATION: the logged action (an English key, worded by web/log_words.py) and
    # the moderator's reason as they wrote it.
    action: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class Bookmark(db.Model):
    """A post a member saved, with their note and an optional reminder; the reminder
    becomes a REMINDER notification once `remind_at` has passed (then `reminded_at`)."""

    __tablename__ = "bookmarks"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id", name="uq_bookmarks_user_post"),
        Index("ix_bookmarks_due", "reminded_at", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
