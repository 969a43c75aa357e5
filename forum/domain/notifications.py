"""Notifications: who is told what, once, in a constant number of statements.

A post that becomes public (`post_published`: a reply, a new thread, a held post a
moderator approved) notifies, in one INSERT … SELECT whatever the number of watchers:
those it mentions (MENTION), those it quotes (REPLY_TO_YOU), the thread's starter when a
verified expert replies (EXPERT_REPLY), and the thread's watchers (REPLY). One
notification per event per member, the most specific kind winning. A watcher with an
unread REPLY notification for the thread has it updated instead (one UPDATE: count + 1,
the newest post). Never the author themselves, a closed or banned account, someone who
muted the author, the thread, or its category or tag (unless they watch the thread).
Tracking members hear only of mentions and quotes. Then `mail.queue_notifications`.

What a notification points at is checked again whenever it is shown (`visible`): a
post hidden, held or deleted since, or a thread gone, drops out of the page and the bell.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased, joinedload

from .. import text
from ..extensions import db
from ..locking import insert_on_conflict
from ..models import (
    CategoryWatch,
    Notification,
    NotificationKind,
    Post,
    TagWatch,
    Thread,
    ThreadWatch,
    User,
    WatchLevel,
    thread_tags,
    utcnow,
)
from ..permissions import silenced, visible_notifications
from . import mail

# The most specific kind wins: lower is more specific.
_RANK = {NotificationKind.MENTION: 1, NotificationKind.REPLY_TO_YOU: 2,
         NotificationKind.EXPERT_REPLY: 3, NotificationKind.REPLY: 4}


def _level_is(user_id, thread_id, *levels):
    return exists().where(ThreadWatch.user_id == user_id, ThreadWatch.thread_id == thread_id,
                          ThreadWatch.level.in_([level.value for level in levels]))


def _may_hear(user_id, thread: Thread, actor_id: int | None):
    """SQL: the member `user_id` is told about things in `thread` done by `actor_id`."""
    tag_ids = select(thread_tags.c.tag_id).where(thread_tags.c.thread_id == thread.id)
    muted_topic = or_(
        exists().where(CategoryWatch.user_id == user_id,
                       CategoryWatch.category_id == thread.category_id,
                       CategoryWatch.level == WatchLevel.MUTED.value),
        exists().where(TagWatch.user_id == user_id, TagWatch.tag_id.in_(tag_ids),
                       TagWatch.level == WatchLevel.MUTED.value),
    )
    conditions = [
        ~_level_is(user_id, thread.id, WatchLevel.MUTED),
        or_(~muted_topic, _level_is(user_id, thread.id, WatchLevel.WATCHING)),
    ]
    if actor_id is not None:
        conditions += [user_id != actor_id, ~silenced(user_id, actor_id)]
    return and_(*conditions)


def _named(names: set[str]):
    return select(User.id).where(func.lower(User.username).in_(sorted(names)))


def _watch_new_thread(thread: Thread) -> None:
    """Members watching the thread's category or one of its tags now watch it (one
    statement; an explicit level of theirs stays)."""
    tag_ids = select(thread_tags.c.tag_id).where(thread_tags.c.thread_id == thread.id)
    watchers = union_all(
        select(CategoryWatch.user_id.label("user_id")).where(
            CategoryWatch.category_id == thread.category_id,
            CategoryWatch.level == WatchLevel.WATCHING.value),
        select(TagWatch.user_id.label("user_id")).where(
            TagWatch.tag_id.in_(tag_ids), TagWatch.level == WatchLevel.WATCHING.value),
    ).subquery()
    rows = select(watchers.c.user_id, literal(thread.id), literal(WatchLevel.WATCHING.value),
                  literal(utcnow())).where(watchers.c.user_id.is_not(None)).distinct()
    # (SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.)
    db.session.execute(
        insert_on_conflict(ThreadWatch).from_select(
            ["user_id", "thread_id", "level", "created_at"], rows)
        .on_conflict_do_nothing(index_elements=[ThreadWatch.user_id, ThreadWatch.thread_id]))


def post_published(post: Post, edited: bool = False) -> None:
    """`post` has just become public (no commit): notify everyone it concerns. With
    `edited`, the post was changed: only names it newly mentions are told (the event is
    the same, so anyone told of it already is not told again)."""
    db.session.flush()
    thread = post.thread
    if (post.deleted_at is not None or post.hidden_at is not None or post.held_at is not None
            or thread.deleted_at is not None or thread.hidden_at is not None):
        return
    if post.is_opening and not edited:
        _watch_new_thread(thread)
    actor_id = post.author_id
    author = post.author
    candidates = []
    mentioned = text.mentions_in(str(post.body_html))
    if mentioned:
        candidates.append(select(User.id.label("user_id"), literal(_RANK[NotificationKind.MENTION])
                                 .label("rank")).where(User.id.in_(_named(mentioned))))
    if edited and not mentioned:
        return
    quoted = text.quoted_names(post.body_source) - mentioned
    if quoted and not post.is_opening and not edited:
        candidates.append(select(User.id.label("user_id"),
                                 literal(_RANK[NotificationKind.REPLY_TO_YOU]).label("rank"))
                          .where(User.id.in_(_named(quoted))))
    if (not edited and author is not None and author.is_verified_expert
            and not post.is_opening and thread.author_id is not None):
        candidates.append(select(User.id.label("user_id"),
                                 literal(_RANK[NotificationKind.EXPERT_REPLY]).label("rank"))
                          .where(User.id == thread.author_id,
                                 ~_level_is(User.id, thread.id, WatchLevel.TRACKING)))
    if not edited:
        candidates.append(select(ThreadWatch.user_id.label("user_id"),
                                 literal(_RANK[NotificationKind.REPLY]).label("rank"))
                          .where(ThreadWatch.thread_id == thread.id,
                                 ThreadWatch.level == WatchLevel.WATCHING.value))
    everyone = union_all(*candidates).subquery() if len(candidates) > 1 \
        else candidates[0].subquery()
    best = (select(everyone.c.user_id, func.min(everyone.c.rank).label("rank"))
            .group_by(everyone.c.user_id).subquery())
    recipients = (select(best.c.user_id, best.c.rank).join(User, User.id == best.c.user_id)
                  .where(User.deleted_at.is_(None), User.banned_at.is_(None),
                         _may_hear(best.c.user_id, thread, actor_id)))
    chosen = recipients.subquery()
    now = utcnow()
    reply_rank = _RANK[NotificationKind.REPLY]
    unread_reply = (select(Notification.id).where(
        Notification.kind == NotificationKind.REPLY.value, Notification.thread_id == thread.id,
        Notification.read_at.is_(None)))
    # Collapse: an unread REPLY notification for the thread grows instead.
    if not post.is_opening and not edited:
        db.session.execute(
            update(Notification).where(
                Notification.kind == NotificationKind.REPLY.value,
                Notification.thread_id == thread.id, Notification.read_at.is_(None),
                Notification.user_id.in_(select(chosen.c.user_id)
                                         .where(chosen.c.rank == reply_rank)))
            .values(count=Notification.count + 1, post_id=post.id, actor_id=actor_id,
                    updated_at=now)
            .execution_options(synchronize_session=False))
    event = f"post:{post.id}"
    kind = case(*((chosen.c.rank == rank, literal(kind.value)) for kind, rank in _RANK.items()))
    collapsed = exists(unread_reply.where(Notification.user_id == chosen.c.user_id))
    rows = select(chosen.c.user_id, kind, literal(event), literal(thread.id), literal(post.id),
                  literal(actor_id), literal(1), literal(""), literal(""), literal(now),
                  literal(now)).where(or_(chosen.c.rank != reply_rank, ~collapsed))
    db.session.execute(
        insert_on_conflict(Notification).from_select(
            ["user_id", "kind", "event", "thread_id", "post_id", "actor_id", "count", "action",
             "reason", "created_at", "updated_at"], rows)
        .on_conflict_do_nothing(index_elements=[Notification.user_id, Notification.event]))
    # The new notifications, and the collapsed ones that grew just now (their earlier
    # mail dropped or sent: the member hears again while they stay away).
    mail.queue_notifications(event, thread_id=thread.id, collapsed_at=now)


def answered(post: Post, by: User) -> None:
    """`post` was marked as its thread's answer by `by` (no commit)."""
    author = post.author
    if (author is None or author.id == by.id or author.deleted_at is not None
            or author.banned_at is not None or post.deleted_at is not None
            or post.hidden_at is not None or post.held_at is not None
            or db.session.scalar(select(silenced(author.id, by.id)))):
        return  # (nor someone who muted or ignored the member who marked it)
    event = f"answer:{post.id}"
    db.session.execute(
        insert_on_conflict(Notification).values(
            user_id=author.id, kind=NotificationKind.ANSWER.value, event=event,
            thread_id=post.thread_id, post_id=post.id, actor_id=by.id, count=1,
            action="", reason="", created_at=utcnow(), updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Notification.user_id, Notification.event]))
    mail.queue_notifications(event)


def moderated(user: User, event_id: int, actor: User | None, action: str, reason: str,
              thread_id: int | None, post_id: int | None) -> None:
    """A moderator acted on `user`'s content (no commit). Muting the moderator does not
    silence it; the moderation mail goes out as before (forum.domain.events.tell)."""
    if user.deleted_at is not None or (actor is not None and actor.id == user.id):
        return
    db.session.execute(
        insert_on_conflict(Notification).values(
            user_id=user.id, kind=NotificationKind.MODERATION.value,
            event=f"moderation:{event_id}", thread_id=thread_id, post_id=post_id,
            actor_id=actor.id if actor else None, count=1, action=action[:32],
            reason=reason or "", created_at=utcnow(), updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Notification.user_id, Notification.event]))


# -- reading -------------------------------------------------------------------------

# A notification the member may still see: one rule for the page, the bell, mail, digests.
_visible = visible_notifications


def unread_count(user: User) -> int:
    """The bell: one query."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        _visible(user.id))) or 0


def page(user: User, number: int, per_page: int):
    """The member's notifications, newest first, that they may still see."""
    actor = aliased(User)
    query = (select(Notification).where(Notification.user_id == user.id, _visible(user.id))
             .outerjoin(actor, actor.id == Notification.actor_id)
             .options(joinedload(Notification.thread), joinedload(Notification.actor),
                      joinedload(Notification.post))
             .order_by(Notification.updated_at.desc(), Notification.id.desc()))
    return db.paginate(query, page=number, per_page=per_page, error_out=False)


def latest(user: User, limit: int = 50) -> list[Notification]:
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, _visible(user.id))
        .options(joinedload(Notification.thread), joinedload(Notification.actor),
                 joinedload(Notification.post).joinedload(Post.thread))
        .order_by(Notification.updated_at.desc(), Notification.id.desc()).limit(limit)).all()


def get_own(user: User, notification_id: int) -> Notification | None:
    return db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id,
        _visible(user.id)))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def unread_in_thread(user_id: int, thread_id: int, newest_post_id: int):
    """SQL: the member's unread notifications that reading `thread` up to
    `newest_post_id` reads (a moderator's notice stays until it is opened)."""
    return and_(
        Notification.user_id == user_id, Notification.thread_id == thread_id,
        Notification.read_at.is_(None),
        Notification.kind != NotificationKind.MODERATION.value,
        or_(Notification.post_id.is_(None), Notification.post_id <= newest_post_id))


def thread_read_statement(user_id: int, thread_id: int, newest_post_id: int):
    """The member has read `thread` up to `newest_post_id`: its notifications up to there
    are read (one UPDATE, run with the reading place's own write)."""
    return (update(Notification).where(unread_in_thread(user_id, thread_id, newest_post_id))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))


# -- the private feed ------------------------------------------------------------------

_FEED_SALT = "notifications-feed"


def _serializer(user: User) -> URLSafeSerializer:
    # Signed with a key that includes the member's password hash: changing the password
    # (or a reset) retires every feed address given out before.
    key = f"{current_app.config['SECRET_KEY']}:{user.password_hash or ''}"
    return URLSafeSerializer(key, salt=_FEED_SALT)


def feed_token(user: User) -> str:
    return _serializer(user).dumps(user.id)


def feed_owner(token: str) -> User | None:
    """The member whose feed `token` opens; None for anything tampered, retired (the
    password changed since), or an account closed or banned."""
    _valid, user_id = URLSafeSerializer("unverified", salt=_FEED_SALT).loads_unsafe(token)
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**31:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.banned_at is not None:
        return None
    try:
        _serializer(user).loads(token)
    except BadSignature:
        return None
    return user
