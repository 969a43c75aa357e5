"""Members' reports about posts and members, the queue that groups them, and
resolving a group in one step (which may hide, label or lock as it closes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import EvidenceLabel, Flag, FlagReason, Post, User, utcnow
from . import events, labels, moderation
from .events import ModerationError


def flag_post(post: Post, reporter: User, reason: str, note: str) -> bool:
    """Report a post; False if this member already has an open report on it."""
    already = db.session.scalar(select(Flag.id).where(
        Flag.post_id == post.id, Flag.reporter_id == reporter.id, Flag.resolved_at.is_(None)))
    if already:
        return False
    db.session.add(Flag(post=post, subject=post.author, reporter=reporter,
                        reason=FlagReason(reason), note=note.strip()))
    try:
        events.commit()
    except IntegrityError:
        db.session.rollback()  # a double click lost to the unique index
        return False
    return True


def report_user(subject: User, reporter: User, reason: str, note: str) -> bool:
    already = db.session.scalar(select(Flag.id).where(
        Flag.post_id.is_(None), Flag.subject_id == subject.id,
        Flag.reporter_id == reporter.id, Flag.resolved_at.is_(None)))
    if already:
        return False
    db.session.add(Flag(subject=subject, reporter=reporter, reason=FlagReason(reason),
                        note=note.strip()))
    events.commit()
    return True


@dataclass
class ReportGroup:
    """The open reports about one post (or one member), as the queue shows them."""

    key: str
    post: Post | None
    subject: User | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return any(flag.reason == FlagReason.AT_RISK for flag in self.flags)

    @property
    def newest(self) -> datetime:
        return max(flag.created_at for flag in self.flags)

    @property
    def reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for flag in self.flags:
            counts[flag.reason] = counts.get(flag.reason, 0) + 1
        return counts


def open_reports() -> list[ReportGroup]:
    """Open reports grouped by post: urgent first, then most reported, then newest."""
    flags = db.session.scalars(
        select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at)
    ).all()
    groups: dict[str, ReportGroup] = {}
    for flag in flags:
        key = f"post-{flag.post_id}" if flag.post_id else f"user-{flag.subject_id}"
        group = groups.setdefault(key, ReportGroup(key, flag.post, flag.subject))
        group.flags.append(flag)
    return sorted(groups.values(),
                  key=lambda g: (not g.urgent, -len(g.flags), -g.newest.timestamp()))


RESOLUTIONS = ("dismiss", "hide", "label", "lock")

# What the reporters are told (Flag.outcome). Stored in English, the source text;
# `outcome_text` shows it in the reader's language.
OUTCOMES = {
    "dismiss": _l("A moderator looked at this and left it as it is."),
    "hide": _l("A moderator hid the post."),
    "label": _l("A moderator labelled the post “%(label)s”."),
    "lock": _l("A moderator locked the thread."),
}

# Stored as the hide or lock reason when the moderator wrote none (English, as stored).
HIDDEN_AFTER_REPORTS = _l("Reported by members and hidden by a moderator.")
LOCKED_AFTER_REPORTS = _l("Locked after reports.")


def _in_english(text, **variables) -> str:
    """A lazy text in the source language, as the database keeps it."""
    with force_locale("en"):
        return str(text) % variables if variables else str(text)


def outcome_text(flag: Flag) -> str:
    """A resolved report's outcome in the reader's language (the stored English text
    when it is not one of OUTCOMES)."""
    text = OUTCOMES.get(flag.resolution or "")
    if text is None:
        return flag.outcome
    if flag.resolution == "label":
        name = (flag.outcome or "").partition("“")[2].rpartition("”")[0]
        return str(text) % {"label": name}
    return str(text)


def resolve_reports(moderator: User, post: Post | None, subject: User | None, action: str,
                    note: str, label: EvidenceLabel | None = None,
                    citation: labels.Citation | None = None) -> int:
    """Act on a post's (or a member's) open reports in one step and close them all."""
    if action not in RESOLUTIONS or (action in ("hide", "label", "lock") and post is None):
        raise ModerationError(_("Choose what to do about these reports."))
    if action == "label" and label is None:
        raise ModerationError(_("Choose a label."))
    query = select(Flag).where(Flag.resolved_at.is_(None))
    query = (query.where(Flag.post_id == post.id) if post is not None
             else query.where(Flag.post_id.is_(None), Flag.subject_id == subject.id))
    flags = db.session.scalars(query).all()
    outcome = _in_english(OUTCOMES[action], **({"label": label.name if label else ""}
                                               if action == "label" else {}))
    now = utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id = now, moderator.id
        flag.resolution, flag.outcome = action, outcome
    events.record(moderator, f"resolve: {action}", now, note,
                  thread=post.thread if post else None, post=post,
                  subject=post.author if post else subject)
    # One commit for the reports and the action (which may find it already done).
    if action == "hide":
        moderation.hide_post(post, moderator,
                             note or _in_english(HIDDEN_AFTER_REPORTS),
                             commit=False)
    elif action == "label":
        labels.set_label(post, moderator, label, note, commit=False, citation=citation)
    elif action == "lock":
        moderation.lock_thread(post.thread, moderator, note or _in_english(LOCKED_AFTER_REPORTS),
                               commit=False)
    events.commit()
    return len(flags)


def reports_by(user: User) -> list[Flag]:
    return db.session.scalars(
        select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.created_at.desc())
    ).all()
