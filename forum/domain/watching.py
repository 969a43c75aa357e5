"""How closely each member follows threads, categories and tags, and the members they
muted. A thread without a row is NORMAL; starting or replying to one watches it, unless
the member chose a level for it already (an explicit choice always stays)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from .. import community
from ..extensions import db
from ..locking import insert_on_conflict
from ..models import (
    AlertKind,
    Category,
    CategoryWatch,
    MemberIgnore,
    MemberMute,
    Role,
    Tag,
    TagWatch,
    Thread,
    ThreadWatch,
    User,
    WatchLevel,
    utcnow,
)
from . import alerts

THREAD_LEVELS = (WatchLevel.WATCHING, WatchLevel.TRACKING, WatchLevel.NORMAL, WatchLevel.MUTED)
# A category or a tag is watched, muted, or neither (no row).
TOPIC_LEVELS = (WatchLevel.WATCHING, WatchLevel.MUTED)


def thread_level(user: User, thread: Thread) -> WatchLevel:
    level = db.session.scalar(select(ThreadWatch.level).where(
        ThreadWatch.user_id == user.id, ThreadWatch.thread_id == thread.id))
    return WatchLevel(level) if level else WatchLevel.NORMAL


def _upsert(model, values: dict, key: list, overwrite: bool):
    statement = insert_on_conflict(model).values(**values)
    if overwrite:
        return statement.on_conflict_do_update(index_elements=key,
                                               set_={"level": statement.excluded.level})
    return statement.on_conflict_do_nothing(index_elements=key)


def set_thread_level(user: User, thread: Thread, level: WatchLevel) -> None:
    """The member's own choice for a thread (kept, NORMAL included). Commits."""
    db.session.execute(_upsert(ThreadWatch, {
        "user_id": user.id, "thread_id": thread.id, "level": WatchLevel(level).value,
        "created_at": utcnow()}, [ThreadWatch.user_id, ThreadWatch.thread_id], True))
    db.session.commit()


def auto_watch(user: User, thread: Thread) -> None:
    """Starting or replying: WATCHING, unless the member chose a level already (no
    commit; one statement)."""
    db.session.flush()
    db.session.execute(_upsert(ThreadWatch, {
        "user_id": user.id, "thread_id": thread.id, "level": WatchLevel.WATCHING.value,
        "created_at": utcnow()}, [ThreadWatch.user_id, ThreadWatch.thread_id], False))


def _topic(model, column, user: User, target_id: int, level: WatchLevel | None) -> None:
    if level is None:
        db.session.execute(delete(model).where(model.user_id == user.id, column == target_id))
    else:
        db.session.execute(_upsert(model, {
            "user_id": user.id, column.key: target_id, "level": WatchLevel(level).value,
            "created_at": utcnow()}, [model.user_id, column], True))
    db.session.commit()


def set_category_level(user: User, category: Category, level: WatchLevel | None) -> None:
    """WATCHING, MUTED, or None to stop either. Commits."""
    _topic(CategoryWatch, CategoryWatch.category_id, user, category.id, level)


def set_tag_level(user: User, tag: Tag, level: WatchLevel | None) -> None:
    _topic(TagWatch, TagWatch.tag_id, user, tag.id, level)


def category_level(user: User, category: Category) -> WatchLevel | None:
    level = db.session.scalar(select(CategoryWatch.level).where(
        CategoryWatch.user_id == user.id, CategoryWatch.category_id == category.id))
    return WatchLevel(level) if level else None


def tag_level(user: User, tag: Tag) -> WatchLevel | None:
    level = db.session.scalar(select(TagWatch.level).where(
        TagWatch.user_id == user.id, TagWatch.tag_id == tag.id))
    return WatchLevel(level) if level else None


def mute_member(user: User, other: User) -> None:
    db.session.execute(insert_on_conflict(MemberMute).values(
        user_id=user.id, muted_user_id=other.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[MemberMute.user_id, MemberMute.muted_user_id]))
    db.session.commit()


def unmute_member(user: User, other: User) -> None:
    db.session.execute(delete(MemberMute).where(MemberMute.user_id == user.id,
                                                MemberMute.muted_user_id == other.id))
    db.session.commit()


def has_muted(user: User, other: User) -> bool:
    return db.session.scalar(select(MemberMute.user_id).where(
        MemberMute.user_id == user.id, MemberMute.muted_user_id == other.id)) is not None


# -- ignoring: their posts collapse, and they notify nothing (permissions.silenced) ---

def ignore_member(user: User, other: User) -> None:
    """`user` ignores `other` (the caller checked permissions.can_ignore). When `other` is
    now ignored by IGNORED_BY_MANY members or more (0: never), moderators are shown it.
    Commits."""
    db.session.execute(insert_on_conflict(MemberIgnore).values(
        user_id=user.id, ignored_user_id=other.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[MemberIgnore.user_id,
                                                MemberIgnore.ignored_user_id]))
    threshold = community.get("IGNORED_BY_MANY")
    ignorers = db.session.scalar(select(func.count()).select_from(MemberIgnore).where(
        MemberIgnore.ignored_user_id == other.id))
    if threshold and ignorers >= threshold:
        alert = alerts.raise_alert(AlertKind.IGNORED, f"ignored:user:{other.id}",
                                   subject=other)
        alert.detail = f"Ignored by {ignorers} members"
    db.session.commit()


def unignore_member(user: User, other: User) -> None:
    db.session.execute(delete(MemberIgnore).where(MemberIgnore.user_id == user.id,
                                                  MemberIgnore.ignored_user_id == other.id))
    db.session.commit()


def has_ignored(user: User, other: User) -> bool:
    return db.session.scalar(select(MemberIgnore.user_id).where(
        MemberIgnore.user_id == user.id, MemberIgnore.ignored_user_id == other.id)) is not None


def ignored_ids(user) -> frozenset[int]:
    """The members whose posts collapse for `user` (one query): those they ignore,
    except anyone who has become staff since."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(db.session.scalars(
        select(MemberIgnore.ignored_user_id).join(User, User.id == MemberIgnore.ignored_user_id)
        .where(MemberIgnore.user_id == user.id,
               User.role.not_in([Role.MODERATOR.value, Role.ADMIN.value]))).all())


def ignored_members(user: User) -> list[User]:
    return db.session.scalars(
        select(User).join(MemberIgnore, MemberIgnore.ignored_user_id == User.id)
        .where(MemberIgnore.user_id == user.id, User.deleted_at.is_(None))
        .order_by(User.username)).all()


# -- the settings page's lists (one query each) ------------------------------------

def thread_watches(user: User) -> list[tuple[Thread, str]]:
    """Threads the member chose a level for, other than NORMAL, newest choice first."""
    return db.session.execute(
        select(Thread, ThreadWatch.level).join(ThreadWatch, ThreadWatch.thread_id == Thread.id)
        .where(ThreadWatch.user_id == user.id, ThreadWatch.level != WatchLevel.NORMAL.value,
               Thread.deleted_at.is_(None), Thread.hidden_at.is_(None))
        .order_by(ThreadWatch.created_at.desc(), Thread.id.desc()).limit(500)
    ).all()


def category_watches(user: User) -> list[tuple[Category, str]]:
    return db.session.execute(
        select(Category, CategoryWatch.level)
        .join(CategoryWatch, CategoryWatch.category_id == Category.id)
        .where(CategoryWatch.user_id == user.id).order_by(Category.name)).all()


def tag_watches(user: User) -> list[tuple[Tag, str]]:
    return db.session.execute(
        select(Tag, TagWatch.level).join(TagWatch, TagWatch.tag_id == Tag.id)
        .where(TagWatch.user_id == user.id).order_by(Tag.name)).all()


def muted_members(user: User) -> list[User]:
    return db.session.scalars(
        select(User).join(MemberMute, MemberMute.muted_user_id == User.id)
        .where(MemberMute.user_id == user.id, User.deleted_at.is_(None))
        .order_by(User.username)).all()


def save_email_choice(user: User, choice: str, quiet_from: int | None,
                      quiet_until: int | None) -> None:
    """How the member wants notifications by email, and their quiet hours. Commits."""
    user.email_notifications = choice
    user.quiet_from, user.quiet_until = quiet_from, quiet_until
    db.session.commit()
