"""The forum's tables. Columns, relationships and small read-only properties.

Nothing here commits or reads the request: services change state, and keep
counters such as `Thread.reply_count` and `Thread.last_activity_at` right.

One module per subject (users, content, moderation, mail, reading; base holds the shared
types and enumerations); import from here: `from forum.models import Post`.
"""

from .base import (
    AccountRole,
    FlagReason,
    Role,
    TextSize,
    ThreadKind,
    UTCDateTime,
    VerificationStatus,
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
from .reading import ThreadRead
from .users import ExpertVerification, RecoveryCode, User, UserSession

__all__ = [
    "AccountRole",
    "Category",
    "CommunitySetting",
    "Draft",
    "EvidenceLabel",
    "ExpertVerification",
    "Flag",
    "FlagReason",
    "HelpfulMark",
    "ModerationEvent",
    "OutboxMessage",
    "Post",
    "PostRevision",
    "RecoveryCode",
    "Reference",
    "Role",
    "Tag",
    "TextSize",
    "Thread",
    "ThreadKind",
    "ThreadRead",
    "UTCDateTime",
    "User",
    "UserSession",
    "VerificationStatus",
    "thread_tags",
    "utcnow",
]
