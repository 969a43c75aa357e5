"""The forum's tables. Columns, relationships and small read-only properties.

Nothing here commits or reads the request: services change state, and keep
counters such as `Thread.reply_count` and `Thread.last_activity_at` right.

One module per subject (users, content, moderation, mail, reading, notifications; base
holds the shared types and enumerations); import from here: `from forum.models import Post`.
"""

from .base import (
    AccountRole,
    EmailChoice,
    FlagReason,
    MailKind,
    NotificationKind,
    Role,
    TextSize,
    ThreadKind,
    UTCDateTime,
    VerificationStatus,
    WatchLevel,
    utcnow,
)
from .content import (
    Category,
    Draft,
    EvidenceLabel,
    HelpfulMark,
    Post,
    PostRevision,
    Reference,
    Tag,
    Thread,
    thread_tags,
)
from .mail import OutboxMessage
from .moderation import CommunitySetting, Flag, ModerationEvent
from .notifications import Bookmark, CategoryWatch, MemberMute, Notification, TagWatch, ThreadWatch
from .reading import ThreadRead
from .users import ExpertVerification, RecoveryCode, User, UserSession

__all__ = [
    "AccountRole",
    "Bookmark",
    "Category",
    "CategoryWatch",
    "CommunitySetting",
    "Draft",
    "EmailChoice",
    "EvidenceLabel",
    "ExpertVerification",
    "Flag",
    "FlagReason",
    "HelpfulMark",
    "MailKind",
    "MemberMute",
    "ModerationEvent",
    "Notification",
    "NotificationKind",
    "OutboxMessage",
    "Post",
    "PostRevision",
    "RecoveryCode",
    "Reference",
    "Role",
    "Tag",
    "TagWatch",
    "TextSize",
    "Thread",
    "ThreadKind",
    "ThreadRead",
    "ThreadWatch",
    "UTCDateTime",
    "User",
    "UserSession",
    "VerificationStatus",
    "WatchLevel",
    "thread_tags",
    "utcnow",
]
