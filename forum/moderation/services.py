"""Moderator and admin actions. Each is a small function that changes one thing,
records a ModerationEvent in the same transaction, tells the people affected
(through the outbox) and commits once. The log is append-only: nothing here
edits or deletes an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import mail, requestlog, visibility
from ..accounts import two_factor
from ..extensions import db
from ..locking import lock_for_update
from ..models import (
    Category,
    EvidenceLabel,
    Flag,
    FlagReason,
    ModerationEvent,
    Post,
    Role,
    Thread,
    User,
    utcnow,
)
from ..permissions import first_posts_pending, public_posts


class ModerationError(ValueError):
    """An action that cannot be done in the current state; the message says why."""


def _record(actor: User, action: str, at: datetime | None = None, reason: str = "",
            **targets) -> None:
    db.session.add(ModerationEvent(actor=actor, action=action, reason=reason.strip(),
                                   created_at=at or utcnow(), **targets))
    requestlog.event("moderation", actor=actor.id, action=action)


def _tell(user: User | None, what: str, reason: str = "", link: str = "") -> None:
    """Mail the person an action was taken against (not when they did it themselves)."""
    if user is not None and user.email and user.deleted_at is None:
        mail.queue(user, "moderation", what=what, reason=reason, link=link)


def _commit() -> None:
    db.session.commit()
    mail.send_queued()


# -- threads -----------------------------------------------------------------

def lock_thread(thread: Thread, moderator: User, reason: str, at: datetime | None = None) -> bool:
    """Lock `thread`; False (and nothing recorded) if it was already locked. Takes the
    thread's row lock, so a reply racing the lock lands before it or is refused."""
    lock_for_update(thread)
    if thread.is_locked:
        return False
    thread.locked_at = at or utcnow()
    thread.locked_by = moderator
    thread.lock_reason = reason.strip()
    _record(moderator, "lock", thread.locked_at, thread.lock_reason, thread=thread)
    if thread.author_id != moderator.id:
        _tell(thread.author, f"locked your thread “{thread.title}”", thread.lock_reason,
              f"/t/{thread.id}")
    _commit()
    return True


def unlock_thread(thread: Thread, moderator: User, reason: str = "") -> bool:
    lock_for_update(thread)
    if not thread.is_locked:
        return False
    thread.locked_at = None
    thread.locked_by = None
    thread.lock_reason = ""
    _record(moderator, "unlock", reason=reason, thread=thread)
    _commit()
    return True


def pin_thread(thread: Thread, moderator: User, at: datetime | None = None) -> bool:
    if thread.is_pinned:
        return False
    thread.pinned_at = at or utcnow()
    thread.pinned_by = moderator
    _record(moderator, "pin", thread.pinned_at, thread=thread)
    _commit()
    return True


def unpin_thread(thread: Thread, moderator: User) -> bool:
    if not thread.is_pinned:
        return False
    thread.pinned_at = None
    thread.pinned_by = None
    _record(moderator, "unpin", thread=thread)
    _commit()
    return True


def move_thread(thread: Thread, moderator: User, category: Category, reason: str = "") -> bool:
    if thread.category_id == category.id:
        return False
    old = thread.category.name
    thread.category = category
    _record(moderator, "move", reason=f"{old} → {category.name}. {reason}".strip(),
            thread=thread)
    _commit()
    return True


# -- posts -------------------------------------------------------------------

def hide_post(post: Post, moderator: User, reason: str) -> bool:
    if post.is_hidden:
        return False
    post.hidden_at = utcnow()
    post.hidden_by_id = moderator.id
    post.hidden_reason = reason.strip()
    visibility.post_changed(post)
    _record(moderator, "hide", post.hidden_at, reason, thread=post.thread, post=post,
            subject=post.author)
    _tell(post.author, "hid one of your posts", reason, f"/p/{post.id}")
    _commit()
    return True


def restore_post(post: Post, moderator: User, reason: str = "") -> bool:
    if not post.is_hidden:
        return False
    post.hidden_at = None
    post.hidden_by_id = None
    post.hidden_reason = ""
    visibility.post_changed(post)
    _record(moderator, "restore", reason=reason, thread=post.thread, post=post,
            subject=post.author)
    _tell(post.author, "restored one of your posts", reason, f"/p/{post.id}")
    _commit()
    return True


# -- holding new members' posts ------------------------------------------------

def approved_post_count(user: User, excluding: Post | None = None) -> int:
    """The author's posts that passed review: public now, so either a moderator
    approved them or they were never held. Rejected, hidden, deleted and waiting
    posts do not count, nor `excluding` (the post being written)."""
    query = select(func.count(Post.id)).where(Post.author_id == user.id, public_posts())
    if excluding is not None:
        db.session.flush()  # the post being written has its id
        query = query.where(Post.id != excluding.id)
    return db.session.scalar(query)


def hold(post: Post) -> None:
    """Put a just-written post in the review queue (the caller commits)."""
    post.held_at = post.created_at or utcnow()
    visibility.post_changed(post)


def held_posts() -> list[Post]:
    return db.session.scalars(
        select(Post).where(Post.held_at.is_not(None), Post.deleted_at.is_(None),
                           Post.hidden_at.is_(None))
        .order_by(Post.held_at)
    ).all()


def approve_post(post: Post, moderator: User) -> bool:
    if not post.is_held or post.is_hidden or post.is_deleted:
        return False
    post.held_at = None
    visibility.post_changed(post)
    author = post.author
    if (author is not None and author.established_at is None
            and not first_posts_pending(approved_post_count(author))):
        # Once as many posts as the community holds have been approved, the author
        # posts freely from now on.
        author.established_at = utcnow()
    _record(moderator, "approve", thread=post.thread, post=post, subject=post.author)
    _tell(post.author, "approved your post; it is now visible to everyone", "",
          f"/p/{post.id}")
    _commit()
    return True


def reject_post(post: Post, moderator: User, reason: str) -> bool:
    if not post.is_held:
        return False
    post.hidden_at = utcnow()
    post.hidden_by_id = moderator.id
    post.hidden_reason = reason.strip() or "Not approved by a moderator."
    post.held_at = None  # out of the queue; hidden from now on
    visibility.post_changed(post)
    _record(moderator, "reject", post.hidden_at, reason, thread=post.thread, post=post,
            subject=post.author)
    _tell(post.author, "did not approve your post", reason, f"/p/{post.id}")
    _commit()
    return True


# -- evidence labels -----------------------------------------------------------

def active_labels() -> list[EvidenceLabel]:
    return db.session.scalars(
        select(EvidenceLabel).where(EvidenceLabel.archived_at.is_(None))
        .order_by(EvidenceLabel.position, EvidenceLabel.name)
    ).all()


def set_label(target: Thread | Post, user: User, label: EvidenceLabel | None, note: str) -> None:
    """Put `label` (or none) on a thread or a post, with who and why."""
    target.label = label
    target.label_note = note.strip() if label else ""
    target.labelled_by_id = user.id if label else None
    target.labelled_at = utcnow() if label else None
    thread = target if isinstance(target, Thread) else target.thread
    post = target if isinstance(target, Post) else None
    action = f"label: {label.name}" if label else "unlabel"
    _record(user, action, reason=note, thread=thread, post=post,
            subject=target.author)
    if label is not None and target.author_id != user.id:
        link = f"/p/{post.id}" if post else f"/t/{thread.id}"
        _tell(target.author, f"labelled your {'post' if post else 'thread'} “{label.name}”",
              note, link)
    _commit()


# -- reports -------------------------------------------------------------------

def flag_post(post: Post, reporter: User, reason: str, note: str) -> bool:
    """Report a post; False if this member already has an open report on it."""
    already = db.session.scalar(select(Flag.id).where(
        Flag.post_id == post.id, Flag.reporter_id == reporter.id, Flag.resolved_at.is_(None)))
    if already:
        return False
    db.session.add(Flag(post=post, subject=post.author, reporter=reporter,
                        reason=FlagReason(reason), note=note.strip()))
    try:
        _commit()
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
    _commit()
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


def resolve_reports(moderator: User, post: Post | None, subject: User | None, action: str,
                    note: str, label: EvidenceLabel | None = None) -> int:
    """Act on a post's (or a member's) open reports in one step and close them all."""
    if action not in RESOLUTIONS or (action in ("hide", "label", "lock") and post is None):
        raise ModerationError("Choose what to do about these reports.")
    if action == "label" and label is None:
        raise ModerationError("Choose a label.")
    query = select(Flag).where(Flag.resolved_at.is_(None))
    query = (query.where(Flag.post_id == post.id) if post is not None
             else query.where(Flag.post_id.is_(None), Flag.subject_id == subject.id))
    flags = db.session.scalars(query).all()
    outcome = {
        "dismiss": "A moderator looked at this and left it as it is.",
        "hide": "A moderator hid the post.",
        "label": f"A moderator labelled the post “{label.name if label else ''}”.",
        "lock": "A moderator locked the thread.",
    }[action]
    now = utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id = now, moderator.id
        flag.resolution, flag.outcome = action, outcome
    _record(moderator, f"resolve: {action}", now, note,
            thread=post.thread if post else None, post=post,
            subject=post.author if post else subject)
    # hide_post and lock_thread return False without committing when it was already done;
    # the reports are closed either way.
    if action == "hide":
        hide_post(post, moderator, note or "Reported by members and hidden by a moderator.") \
            or _commit()
    elif action == "label":
        set_label(post, moderator, label, note)
    elif action == "lock":
        lock_thread(post.thread, moderator, note or "Locked after reports.") or _commit()
    else:
        _commit()
    return len(flags)


def reports_by(user: User) -> list[Flag]:
    return db.session.scalars(
        select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.created_at.desc())
    ).all()


# -- members -------------------------------------------------------------------

def suspend(user: User, moderator: User, until: datetime, reason: str) -> None:
    user.suspended_until = until
    user.suspension_reason = reason.strip()
    _record(moderator, "suspend", reason=f"until {until:%Y-%m-%d}: {reason}", subject=user)
    _tell(user, f"suspended your account until {until:%d %b %Y}", reason)
    _commit()


def lift_suspension(user: User, moderator: User, reason: str = "") -> bool:
    if user.suspended_until is None and user.banned_at is None:
        return False
    user.suspended_until = None
    user.banned_at = None
    user.suspension_reason = ""
    _record(moderator, "reinstate", reason=reason, subject=user)
    _tell(user, "lifted the suspension on your account", reason)
    _commit()
    return True


def ban(user: User, admin: User, reason: str) -> None:
    user.banned_at = utcnow()
    user.suspension_reason = reason.strip()
    _record(admin, "ban", reason=reason, subject=user)
    _tell(user, "banned your account from writing", reason)
    _commit()


def set_role(user: User, admin: User, role: str) -> bool:
    """Grant or revoke moderator and admin roles; verification stays as it is."""
    if role not in (Role.MEMBER, Role.MODERATOR, Role.ADMIN):
        raise ModerationError("Choose member, moderator or admin.")
    if role == Role.MEMBER and user.is_verified_expert:
        role = Role.EXPERT
    if user.role == role:
        return False
    old, user.role = user.role, role
    _record(admin, "role", reason=f"{old} → {role}", subject=user)
    _commit()
    return True


def reset_two_factor(user: User, admin: User, reason: str) -> bool:
    """Turn off a member's two-step sign-in, after the admin checked who is asking."""
    if not user.has_two_factor:
        return False
    two_factor.reset_by_admin(user, reason)
    _record(admin, "two-factor reset", reason=reason, subject=user)
    _commit()
    return True


# -- the log -------------------------------------------------------------------

def events(page: int, per_page: int, actor: User | None = None, action: str = "",
           subject: User | None = None):
    query = select(ModerationEvent).order_by(ModerationEvent.created_at.desc(),
                                             ModerationEvent.id.desc())
    if actor is not None:
        query = query.where(ModerationEvent.actor_id == actor.id)
    if subject is not None:
        query = query.where(ModerationEvent.subject_id == subject.id)
    if action:
        query = query.where(ModerationEvent.action.startswith(action))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# -- categories and labels (admins) --------------------------------------------

def save_category(admin: User, category: Category | None, slug: str, name: str,
                  description: str, position: int) -> Category:
    created = category is None
    if created:
        category = Category(slug=slug)
        db.session.add(category)
    category.name, category.description, category.position = (
        name.strip(), description.strip(), position)
    _record(admin, "category: create" if created else "category: edit",
            reason=f"{category.slug}: {category.name}")
    _commit()
    return category


def archive_category(admin: User, category: Category, archived: bool) -> None:
    category.archived_at = utcnow() if archived else None
    _record(admin, "category: archive" if archived else "category: reopen",
            reason=category.slug)
    _commit()


def save_label(admin: User, label: EvidenceLabel | None, name: str, description: str,
               tone: str, position: int) -> EvidenceLabel:
    created = label is None
    name = name.strip()
    taken = db.session.scalar(select(EvidenceLabel.id).where(
        EvidenceLabel.name == name, EvidenceLabel.id != (None if created else label.id)))
    if taken:
        raise ModerationError("That label already exists.")
    if created:
        label = EvidenceLabel()
        db.session.add(label)
    label.name, label.description = name, description.strip()
    label.tone, label.position = tone, position
    _record(admin, "label list: add" if created else "label list: edit", reason=label.name)
    _commit()
    return label


def archive_label(admin: User, label: EvidenceLabel, archived: bool) -> None:
    label.archived_at = utcnow() if archived else None
    _record(admin, "label list: archive" if archived else "label list: reopen",
            reason=label.name)
    _commit()
