"""Bookmarks: posts a member saved, with a note and a reminder, and the reminders that
come due.

One bookmark per member and post (a unique constraint): saving again changes its note
and reminder. A reminder is entered in the member's own time zone and stored in UTC.
`remind_due` turns every reminder whose time has come into a REMINDER notification
(event "reminder:<bookmark id>"), but only while the post is public: a hidden, held or
deleted post reminds nobody, and the list shows it only as no longer available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import joinedload

from .. import i18n
from ..extensions import db
from ..locking import insert_on_conflict
from ..models import Bookmark, Notification, NotificationKind, Post, Thread, User, utcnow
from ..permissions import public_posts, public_threads
from . import mail

NOTE_LENGTH = 500
# A reminder further ahead than this is surely a typing slip (year 20266).
LONGEST_AHEAD = timedelta(days=366 * 10)
# What <input type="datetime-local"> sends ("2026-12-24T09:30", seconds optional), and
# what someone types where a browser shows a plain text box ("2026-12-24 09:30").
WHEN = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
EVENT = "reminder:"


class BookmarkError(ValueError):
    """A reminder that cannot be kept; the message says why, for the form."""


def event_of(bookmark: Bookmark) -> str:
    return f"{EVENT}{bookmark.id}"


# -- the reminder's time ----------------------------------------------------------------

def parse_reminder(value: str | None, user: User, now: datetime | None = None,
                   kept: datetime | None = None) -> datetime | None:
    """The UTC time of a reminder typed as a date and time in `user`'s time zone; None
    for an empty field. Raises BookmarkError for a time that is malformed or past,
    unless it is `kept`, the time the bookmark has already (its note changed alone)."""
    value = (value or "").strip()
    if not value:
        return None
    match = WHEN.fullmatch(value)
    if match is None:
        raise BookmarkError(_("Please give the date and time as YYYY-MM-DD HH:MM, for "
                              "example 2026-12-24 09:30."))
    try:
        local = datetime(*(int(part or 0) for part in match.groups()),
                         tzinfo=ZoneInfo(i18n.timezone_for(user)))
        when = local.astimezone(ZoneInfo("UTC"))
    except (ValueError, OverflowError):
        raise BookmarkError(_("There is no such date: please check the day, month and "
                              "time.")) from None
    if kept is not None and when == kept.replace(second=0, microsecond=0):
        return kept
    now = now or utcnow()
    if when <= now:
        raise BookmarkError(_("This time has already passed: please choose a time still "
                              "to come."))
    if when > now + LONGEST_AHEAD:
        raise BookmarkError(_("A reminder can be at most ten years ahead."))
    return when


def local_value(when: datetime | None, user: User) -> str:
    """A stored reminder as the form's field shows it, in the member's time zone."""
    if when is None:
        return ""
    return when.astimezone(ZoneInfo(i18n.timezone_for(user))).strftime("%Y-%m-%dT%H:%M")


# -- saving and removing ----------------------------------------------------------------

def get(user: User, post_id: int) -> Bookmark | None:
    return db.session.scalar(select(Bookmark).where(Bookmark.user_id == user.id,
                                                    Bookmark.post_id == post_id))


def add(post: Post, user: User) -> bool:
    """Save `post` as it is, with no note: the one-button "Save". A post already saved
    keeps its note and reminder. False if it was saved already."""
    result = db.session.execute(
        insert_on_conflict(Bookmark)
        .values(user_id=user.id, post_id=post.id, note="", created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Bookmark.user_id, Bookmark.post_id]))
    db.session.commit()
    return result.rowcount > 0


def save(post: Post, user: User, note: str, reminder: str | None) -> Bookmark:
    """Save `post` with this note and reminder (typed in the member's zone), or change
    them if it is saved already: one upsert, so two sends of the form at once leave
    one bookmark. Raises BookmarkError, saving nothing, for a reminder that cannot be."""
    note = (note or "").strip()[:NOTE_LENGTH]
    existing = get(user, post.id)
    remind_at = parse_reminder(reminder, user, kept=existing and existing.remind_at)
    if existing is not None and existing.remind_at != remind_at:
        # A new time: the notification of the old one (read or not) makes way for it,
        # so the new reminder arrives as one of its own (one per event and member).
        db.session.execute(delete(Notification).where(
            Notification.user_id == user.id, Notification.event == event_of(existing)))
    statement = insert_on_conflict(Bookmark).values(
        user_id=user.id, post_id=post.id, note=note, remind_at=remind_at,
        reminded_at=None, created_at=utcnow())
    if existing is None or existing.remind_at != remind_at:
        changes = {"note": note, "remind_at": remind_at, "reminded_at": None}
    else:
        changes = {"note": note}
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[Bookmark.user_id, Bookmark.post_id], set_=changes))
    db.session.commit()
    db.session.expire_all()
    return get(user, post.id)


def remove(user: User, post_id: int) -> bool:
    """Take away the member's own bookmark of a post (whatever became of the post);
    False if they had none."""
    result = db.session.execute(delete(Bookmark).where(Bookmark.user_id == user.id,
                                                       Bookmark.post_id == post_id))
    db.session.commit()
    return result.rowcount > 0


def saved_on(posts, viewer) -> set[int]:
    """Which of a page's posts the viewer saved: one statement for the whole page."""
    ids = [post.id for post in posts]
    if not ids or not getattr(viewer, "is_authenticated", False):
        return set()
    return set(db.session.scalars(select(Bookmark.post_id).where(
        Bookmark.user_id == viewer.id, Bookmark.post_id.in_(ids))))


# -- the list ---------------------------------------------------------------------------

@dataclass
class Entry:
    bookmark: Bookmark
    available: bool  # the post is public still: otherwise nothing of it is shown

    @property
    def post(self) -> Post:
        return self.bookmark.post


def listing(user: User, page: int, per_page: int):
    """The member's bookmarks, newest first, one page: three statements whatever the
    number (the count, the page with its posts, threads and authors, and which of them
    may still be shown, asked of the database with the rule every list uses)."""
    query = (
        select(Bookmark)
        .where(Bookmark.user_id == user.id)
        .options(joinedload(Bookmark.post).joinedload(Post.thread),
                 joinedload(Bookmark.post).joinedload(Post.author))
        .order_by(Bookmark.created_at.desc(), Bookmark.id.desc())
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [bookmark.id for bookmark in pagination.items]
    shown = set(db.session.scalars(
        select(Bookmark.id)
        .join(Post, Post.id == Bookmark.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Bookmark.id.in_(ids), public_posts(), public_threads()))) if ids else set()
    pagination.items = [Entry(bookmark, bookmark.id in shown) for bookmark in pagination.items]
    return pagination


# -- reminders --------------------------------------------------------------------------

def remind_due(now: datetime | None = None) -> int:
    """Make a REMINDER notification for every reminder whose time has come, while its
    post is public and its member's account open, and queue their mail; returns how
    many were made. Safe to run twice or at once: each bookmark is reminded once (the
    notification is unique per member and event, and `reminded_at` is set in the same
    transaction). A reminder of a post that is not public waits, unsent, for the post
    to be public again.

    Statements: one SELECT of the due bookmarks, one INSERT … SELECT of their
    notifications, one UPDATE of the bookmarks, then one outbox INSERT per reminder
    (mail.queue_notifications works per event; reminders are few)."""
    now = now or utcnow()
    due = [bookmark_id for bookmark_id in db.session.scalars(
        select(Bookmark.id)
        .join(Post, Post.id == Bookmark.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Bookmark.user_id)
        .where(Bookmark.remind_at.is_not(None), Bookmark.remind_at <= now,
               Bookmark.reminded_at.is_(None), User.deleted_at.is_(None),
               public_posts(), public_threads())
        .order_by(Bookmark.id)
        # Two runs at once on Postgres: each takes the bookmarks the other has not.
        .with_for_update(of=Bookmark, skip_locked=True))]
    if not due:
        db.session.rollback()
        return 0
    rows = (
        select(Bookmark.user_id, literal(NotificationKind.REMINDER.value),
               literal(EVENT) + cast(Bookmark.id, String), Post.thread_id, Bookmark.post_id,
               literal(1), literal(""), literal(""), literal(now, Bookmark.remind_at.type),
               literal(now, Bookmark.remind_at.type))
        .join(Post, Post.id == Bookmark.post_id)
        .where(Bookmark.id.in_(due))
    )
    made = db.session.execute(
        insert_on_conflict(Notification)
        .from_select(["user_id", "kind", "event", "thread_id", "post_id", "count", "action",
                      "reason", "created_at", "updated_at"], rows)
        .on_conflict_do_nothing(index_elements=[Notification.user_id, Notification.event])
        # The rows made, counted from RETURNING: psycopg reports no rowcount for an
        # INSERT … SELECT through SQLAlchemy.
        .returning(Notification.id)).all()
    db.session.execute(update(Bookmark).where(Bookmark.id.in_(due),
                                              Bookmark.reminded_at.is_(None))
                       .values(reminded_at=now).execution_options(synchronize_session=False))
    for bookmark_id in due:
        mail.queue_notifications(f"{EVENT}{bookmark_id}")
    db.session.commit()
    return len(made)
