"""Daily and weekly digests: one mail per member per period, for members who chose
it and have not been on the site since their last one.

A digest lists the member's unread notifications about what they may still see and
the busiest new threads they may see (public, outside categories, threads and tags they
muted, not started by a member they muted), titles and links only: nothing of a post's
text, so nothing members-only (#14) ever reaches a mailbox. `send_due` is idempotent
per period: the outbox row and the member's new last_digest_at are one transaction,
and last_digest_at only moves from the value read, so a second run (or a second cron
host) finds nothing due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update

from ..extensions import db
from ..models import (
    CategoryWatch,
    EmailChoice,
    MailKind,
    MemberMute,
    Notification,
    OutboxMessage,
    Post,
    TagWatch,
    Thread,
    ThreadWatch,
    User,
    WatchLevel,
    thread_tags,
    utcnow,
)
from ..permissions import (
    can_view_post,
    can_view_thread,
    public_posts,
    public_threads,
    visible_notifications,
)
from . import mail

PERIODS = {EmailChoice.DAILY.value: timedelta(days=1), EmailChoice.WEEKLY.value: timedelta(days=7)}
# Runs (hourly cron, the worker every few minutes) start a little later each time: a
# digest made at 08:00:01 is due again at 08:00 the next day, not at 09:00.
TOLERANCE = timedelta(hours=1)
log = logging.getLogger("forum.mail")
MOST = 10  # of each list


def due_members(now: datetime) -> list[User]:
    """Members whose digest period has passed (or who never had one)."""
    period_over = or_(*(
        and_(User.email_notifications == choice,
             or_(User.last_digest_at.is_(None), User.last_digest_at <= now - period + TOLERANCE))
        for choice, period in PERIODS.items()))
    return db.session.scalars(select(User).where(
        period_over, User.email.is_not(None), User.deleted_at.is_(None),
        User.banned_at.is_(None)).order_by(User.id)).all()


def send_due(now: datetime | None = None) -> tuple[int, int]:
    """Queue every due digest. Returns (queued, skipped)."""
    now = now or utcnow()
    queued = skipped = 0
    for user_id in [user.id for user in due_members(now)]:
        try:
            made = _digest_for(user_id, now)
        except Exception:  # one member's failure must not cost the others theirs
            db.session.rollback()
            log.exception("the digest for member id %s failed; tried again next run", user_id)
            continue
        if made is None:
            continue  # another run took this member's period first
        queued, skipped = (queued + 1, skipped) if made else (queued, skipped + 1)
    return queued, skipped


def _digest_for(user_id: int, now: datetime) -> bool | None:
    """One member's digest, in one transaction: True queued, False nothing to send (the
    period still moves on), None when someone else already moved it."""
    user = db.session.get(User, user_id)
    period = PERIODS.get(user.email_notifications)
    if period is None:  # the member changed their choice since the list was read
        db.session.rollback()
        return None
    previous = user.last_digest_at
    since = previous or now - period
    visited = user.last_seen_at is not None and user.last_seen_at >= since
    notifications = [] if visited else unread_notifications(user, since)
    threads = [] if visited else new_threads(user, since)
    moved = db.session.execute(
        update(User)
        .where(User.id == user.id,
               User.last_digest_at.is_(None) if previous is None
               else User.last_digest_at == previous)
        .values(last_digest_at=now)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        return None
    made = bool(notifications or threads)
    if made:
        subject, body, html = mail.compose(
            "digest", user, notifications=notifications, threads=threads,
            weekly=user.email_notifications == EmailChoice.WEEKLY.value,
            unsubscribe=mail.unsubscribe_url)
        db.session.add(OutboxMessage(
            user_id=user.id, recipient=user.email, subject=subject, body=body, html_body=html,
            kind=MailKind.DIGEST.value))
    db.session.commit()
    return made


def unread_notifications(user: User, since: datetime) -> list[Notification]:
    """Unread notifications changed since `since` that the member may still see (the
    notifications page's rule), about what they may still open."""
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None),
               Notification.updated_at > since, visible_notifications(user.id))
        .order_by(Notification.updated_at.desc())
        .limit(MOST * 3)).all()
    kept = []
    for notification in rows:
        post, thread = notification.post, notification.thread
        if post is not None:
            thread = post.thread
        if thread is not None and not can_view_thread(user, thread):
            continue
        if post is not None and not can_view_post(user, post):
            continue
        kept.append(notification)
    return kept[:MOST]


def new_threads(user: User, since: datetime) -> list[Thread]:
    """The busiest threads started since `since` that anyone may see, leaving out those
    in categories, threads or tags the member muted and those started by a member they
    muted."""
    opening_public = exists().where(Post.thread_id == Thread.id, Post.is_opening.is_(True),
                                    public_posts())
    muted_category = exists().where(CategoryWatch.user_id == user.id,
                                    CategoryWatch.category_id == Thread.category_id,
                                    CategoryWatch.level == WatchLevel.MUTED.value)
    muted_thread = exists().where(ThreadWatch.user_id == user.id,
                                  ThreadWatch.thread_id == Thread.id,
                                  ThreadWatch.level == WatchLevel.MUTED.value)
    muted_tag = exists().where(TagWatch.user_id == user.id,
                               TagWatch.tag_id == thread_tags.c.tag_id,
                               thread_tags.c.thread_id == Thread.id,
                               TagWatch.level == WatchLevel.MUTED.value)
    muted_author = exists().where(MemberMute.user_id == user.id,
                                  MemberMute.muted_user_id == Thread.author_id)
    return db.session.scalars(
        select(Thread)
        .where(public_threads(), opening_public, Thread.created_at > since,
               ~muted_category, ~muted_thread, ~muted_tag, ~muted_author)
        .order_by(Thread.reply_count.desc(), Thread.last_activity_at.desc())
        .limit(MOST)).all()
