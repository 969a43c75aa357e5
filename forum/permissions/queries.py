"""The rules as SQL conditions, for queries that list posts and threads; and the one
question a rule asks of the database."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    MemberIgnore,
    MemberMute,
    Notification,
    NotificationKind,
    Post,
    Role,
    Thread,
    User,
)
from .people import _is_active, _signed_in, is_moderator


def visible_posts(user, post=Post):
    """SQL condition for the posts `user` may see in a thread (deleted ones show as a
    placeholder, so they are included). `post` is Post or an alias of it."""
    if is_moderator(user):
        return true()
    public = and_(post.hidden_at.is_(None), post.held_at.is_(None))
    if _is_active(user):
        return or_(public, post.author_id == user.id)
    return public


def public_posts():
    """SQL condition for posts anyone may find in lists, search and feeds."""
    return and_(Post.deleted_at.is_(None), Post.hidden_at.is_(None), Post.held_at.is_(None))


def public_threads():
    return and_(Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))


def readable_threads(viewer, thread=Thread):
    """SQL condition for the threads whose posts `viewer` may find in lists, search and
    feeds: a members-only thread's words are for signed-in members (the rule
    `can_read_in_full` gives a single thread). Pass None for what is read outside a
    session, like the public feeds."""
    if _signed_in(viewer):
        return true()
    return thread.members_only.is_(False)


def visible_notifications(user_id):
    """SQL: a notification the member `user_id` may still see, on the notifications page,
    the bell, in a mail or a digest: what it points at is public, and its actor is not
    someone they muted. Moderation notices are about the member's own post (which they
    may still open, hidden or not)."""
    post_ok = or_(Notification.post_id.is_(None), exists().where(
        Post.id == Notification.post_id, public_posts()))
    thread_ok = or_(Notification.thread_id.is_(None), exists().where(
        Thread.id == Notification.thread_id, public_threads()))
    not_muted = or_(Notification.actor_id.is_(None), ~silenced(user_id, Notification.actor_id))
    return or_(Notification.kind == NotificationKind.MODERATION.value,
               and_(post_ok, thread_ok, not_muted))


def silenced(user_id, actor_id):
    """SQL: the member `user_id` hears nothing from `actor_id`: they muted them, or
    ignored them (ignoring implies muting). An ignored member who has since become staff
    is heard again: staff cannot be ignored."""
    staff_user = aliased(User)  # never the recipient a caller's query may have joined
    staff = select(staff_user.id).where(
        staff_user.role.in_([Role.MODERATOR.value, Role.ADMIN.value])).correlate(None)
    ignored = exists().where(
        MemberIgnore.user_id == user_id, MemberIgnore.ignored_user_id == actor_id,
        MemberIgnore.ignored_user_id.not_in(staff))
    return or_(exists().where(MemberMute.user_id == user_id,
                              MemberMute.muted_user_id == actor_id), ignored)


def others_replied(post: Post) -> bool:
    """Whether anyone but the post's author has a public post in its thread, asked of
    the posts themselves (a cached count can be wrong; this decides what may go)."""
    return bool(db.session.scalar(select(exists().where(
        Post.thread_id == post.thread_id, Post.id != post.id, public_posts(),
        or_(Post.author_id.is_(None), Post.author_id != post.author_id),
    ))))
