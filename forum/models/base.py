"""What every table module shares: UTC timestamps, and the enumerations whose values
the CHECK constraints list."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(db.TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and Postgres."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Role(enum.StrEnum):
    """What `users.role` holds. Being an expert is not a role: it is having an approved
    ExpertVerification (User.is_verified_expert), whatever the role."""

    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class AccountRole(enum.StrEnum):
    """What an account is made as (`users create --role`, the demo), and how admin
    pages name it: a role, or EXPERT, a member with an approved verification."""

    MEMBER = Role.MEMBER.value
    EXPERT = "expert"
    MODERATOR = Role.MODERATOR.value
    ADMIN = Role.ADMIN.value


class TextSize(enum.StrEnum):
    NORMAL = "normal"
    LARGE = "large"
    LARGEST = "largest"


class ThreadKind(enum.StrEnum):
    DISCUSSION = "discussion"
    ARTICLE = "article"


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    REVOKED = "revoked"


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    MISINFORMATION = "misinformation"
    PERSONAL_INFO = "personal-info"
    AT_RISK = "at-risk"
    OTHER = "other"


class WatchLevel(enum.StrEnum):
    """How closely a member follows a thread, category or tag (forum.domain.watching).

    WATCHING: a notification for every reply (for a category or tag: every new thread,
    which is then watched). TRACKING: unread counts, and a notification only when
    mentioned, quoted or answered. NORMAL: unread counts only when opened. MUTED: never a
    notification, and the thread is left out of "new" lists."""

    WATCHING = "watching"
    TRACKING = "tracking"
    NORMAL = "normal"
    MUTED = "muted"


class EmailChoice(enum.StrEnum):
    """How a member wants notifications by email (users.email_notifications)."""

    NONE = "none"
    IMMEDIATE = "immediate"  # only when away from the site MAIL_AWAY_MINUTES
    DAILY = "daily"
    WEEKLY = "weekly"


class NotificationKind(enum.StrEnum):
    REPLY = "reply"                # a reply in a watched thread (collapses while unread)
    REPLY_TO_YOU = "reply_to_you"  # a reply quoting or answering your post
    MENTION = "mention"            # @username in a post you may see
    EXPERT_REPLY = "expert_reply"  # a verified expert replied in your thread
    ANSWER = "answer"              # your reply was marked as the answer
    MODERATION = "moderation"      # a moderator acted on your content, with the reason
    REMINDER = "reminder"          # a bookmark's reminder date came


class ProfileVisibility(enum.StrEnum):
    """Who may read a member's profile page (users.profile_visibility). Their posts link
    to it whatever they choose."""

    PUBLIC = "public"      # anyone, and search engines may index it
    MEMBERS = "members"    # signed-in members only
    NOINDEX = "noindex"    # anyone, but search engines are asked not to index it (default)


class AlertKind(enum.StrEnum):
    """What raised a safety alert in the moderators' queue (models.SafetyAlert)."""

    CRISIS = "crisis"              # a published post with crisis language: someone may be at risk
    FAST_READING = "fast_reading"  # an account reading faster than a person could (RATELIMIT_READ)
    IGNORED = "ignored"            # a member ignored by many others


class MailKind(enum.StrEnum):
    """What an outbox row is: account mail (sign-in links, confirmations: always sent,
    no unsubscribe), or a notification or digest (respects the member's email choice,
    carries List-Unsubscribe)."""

    ACCOUNT = "account"
    NOTIFICATION = "notification"
    DIGEST = "digest"
