"""Reviewed articles (the NHS "page last reviewed / next review due" pattern): every
review is an ArticleReview row, and the newest one's dates are copied onto the thread
(`reviewed_at`, `review_due_at`) so lists can filter on them. Only this module writes
them; editing an article's text never moves them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import ArticleReview, Thread, ThreadKind, User, utcnow
from . import events


def _record(thread: Thread, reviewer: User | None, at: datetime, note: str) -> ArticleReview:
    due = at + timedelta(days=current_app.config["REVIEW_INTERVAL_DAYS"])
    if thread.id is None:
        db.session.flush()
    review = ArticleReview(thread_id=thread.id, reviewer=reviewer, reviewed_at=at, due_at=due,
                           note=note.strip())
    db.session.add(review)
    thread.reviewed_at, thread.review_due_at = at, due
    return review


def first_review(thread: Thread, author: User, at: datetime) -> None:
    """Publishing counts as the first review when a verified expert wrote the article;
    otherwise the dates start without a reviewer. In the publishing transaction."""
    _record(thread, author if author.is_verified_expert else None, at, "")


def mark_reviewed(thread: Thread, expert: User, note: str = "",
                  at: datetime | None = None) -> ArticleReview:
    """An expert has checked the article is still right: a new review, the dates move
    on, and the log says who. Commits."""
    review = _record(thread, expert, at or utcnow(), note)
    events.record(expert, "review", review.reviewed_at, note, thread=thread,
                  subject=thread.author)
    events.commit()
    return review


def latest(thread: Thread) -> ArticleReview | None:
    """The article's newest review (who and when), for its page."""
    return db.session.scalar(
        select(ArticleReview).where(ArticleReview.thread_id == thread.id)
        .order_by(ArticleReview.reviewed_at.desc(), ArticleReview.id.desc()).limit(1))


@dataclass
class ReviewList:
    overdue: list[Thread]
    soon: list[Thread]


def due_articles(now: datetime | None = None, limit: int = 200) -> ReviewList:
    """Articles past their review date (the oldest first; never reviewed ones first of
    all), then those due within REVIEW_SOON_DAYS. Deleted articles are left out."""
    now = now or utcnow()
    soon_until = now + timedelta(days=current_app.config["REVIEW_SOON_DAYS"])
    rows = db.session.scalars(
        select(Thread).where(
            Thread.kind == ThreadKind.ARTICLE, Thread.deleted_at.is_(None),
            or_(Thread.review_due_at.is_(None), Thread.review_due_at <= soon_until))
        .order_by(Thread.review_due_at.is_not(None), Thread.review_due_at, Thread.id)
        .limit(limit)
    ).all()
    overdue = [t for t in rows if t.review_due_at is None or t.review_due_at <= now]
    return ReviewList(overdue, [t for t in rows if t not in overdue])
