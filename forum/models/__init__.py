"""The forum's tables. Columns, relationships and small read-only properties.

Nothing here commits or reads the request: services change state, and keep
counters such as `Thread.reply_count` and `Thread.last_activity_at` right.

One module per subject (users, content, moderation, mail, reading, notifications; base
holds the shared types and enumerations); import from here: `from forum.models import Post`.
"""

from .base import (
    AccountRole,
    AlertKind,
    EmailChoice,
    FlagReason,
    MailKind,
    NotificationKind,
    ProfileVisibility,
    Role,
    TextSize,
    ThreadKind,
    UTCDateTime,
    VerificationStatus,
    WatchLevel,
    utcnow,
)
from .cache import PageVersion
from .content import (
    ArticleReview,
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
from .moderation import CommunitySetting, Flag, ModerationEvent, SafetyAlert
from .notifications import (
    Bookmark,
    CategoryWatch,
    MemberIgnore,
    MemberMute,
    Notification,
    TagWatch,
    ThreadWatch,
)
from .reading import ThreadRead
from .users import ExpertVerification, RecoveryCode, User, UserSession

__all__ = [
    "AccountRole",
    "AlertKind",
    "ArticleReview",
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
    "MemberIgnore",
    "MemberMute",
    "ModerationEvent",
    "Notification",
    "NotificationKind",
    "OutboxMessage",
    "PageVersion",
    "Post",
    "PostRevision",
    "ProfileVisibility",
    "RecoveryCode",
    "Reference",
    "Role",
    "SafetyAlert",
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
