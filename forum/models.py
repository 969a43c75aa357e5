"""The forum's tables. Columns, relationships and small read-only properties.

Nothing here commits or reads the request: services change state, and keep
counters such as `Thread.reply_count` and `Thread.last_activity_at` right.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_login import UserMixin
from markupsafe import Markup
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


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
    MEMBER = "member"
    EXPERT = "expert"
    MODERATOR = "moderator"
    ADMIN = "admin"


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


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="ck_users_role"),
        CheckConstraint(_in("text_size", TextSize), name="ck_users_text_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    # Nullable so that a deleted account can give its address up entirely.
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    credentials: Mapped[str] = mapped_column(String(200), default="")
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    # The expert's standing conflict-of-interest statement; articles start from it.
    conflicts: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Established accounts post without being held for review.
    established_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Suspended members read but do not write until then; banned ones never again.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reading preferences, applied on every page.
    text_size: Mapped[str] = mapped_column(String(8), default=TextSize.NORMAL.value)
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False)
    # For bad days: larger text, higher contrast, no motion, one column, bigger controls.
    energy_saver: Mapped[bool] = mapped_column(Boolean, default=False)
    # Two-step sign-in (TOTP). The secret is set only once the member has proved their
    # app produces codes, and is stored encrypted (two_factor.seal, a Fernet token); the
    # last accepted time step stops a code being used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # When a mailed one-time sign-in link was last used: every link made before then is
    # spent, so each signs in once.
    sign_in_link_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The approved verification behind the "Verified expert" badge, if any;
    # services keep at most one approved verification per user.
    verification: Mapped[ExpertVerification | None] = relationship(
        primaryjoin="and_(User.id == ExpertVerification.user_id, "
        "ExpertVerification.status == 'approved')",
        viewonly=True,
        uselist=False,
    )

    # The signed-in browser this object was loaded for (accounts.services sets it);
    # Flask-Login keeps this key, not the user id, in the session and remember cookies.
    session_key = None

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def name(self) -> str:
        if self.deleted_at is not None:
            return "a former member"
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        """The staff badge shown beside the name; members and experts have none."""
        return {Role.MODERATOR: "Moderator", Role.ADMIN: "Admin"}.get(self.role, "")

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_verified_expert(self) -> bool:
        return self.verification is not None

    def __repr__(self) -> str:
        return f"<User {self.username!r} {self.role}>"


# Usernames and emails are unique whatever their case.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class UserSession(db.Model):
    """One signed-in browser. The session cookie and the remember-me cookie carry only
    `key`; deleting the row signs that browser out, whatever cookie it still holds."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # The two-step secret this browser is setting up (sealed), kept here rather than
    # in the cookie, which is signed but readable; and when it was last shown.
    two_factor_setup: Mapped[str | None] = mapped_column(String(255))
    two_factor_setup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator app. Only a hash is
    kept: the codes are random and long, so a fast hash is enough."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """Every email, written in the transaction that caused it and sent after commit;
    a failed send stays here for `flask --app forum mail send` to retry."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept so a deleted account's pending mail can be removed with it.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ExpertVerification(db.Model):
    """A request to be shown as a verified expert, and what the admin checked."""

    __tablename__ = "expert_verifications"
    __table_args__ = (
        CheckConstraint(_in("status", VerificationStatus), name="ck_verifications_status"),
        Index("ix_verifications_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=VerificationStatus.PENDING.value)
    credentials: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(200))
    register_name: Mapped[str] = mapped_column(String(60))
    register_number: Mapped[str] = mapped_column(String(60))
    evidence_url: Mapped[str] = mapped_column(String(500), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    checked_register: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_number: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_link: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # An archived category stays readable; nobody starts or replies to threads in it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvidenceLabel(db.Model):
    """A label moderators and verified experts put on a claim, e.g. "Unproven"."""

    __tablename__ = "evidence_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # "caution" labels are shown in a warning colour.
    tone: Mapped[str] = mapped_column(String(16), default="info")
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


thread_tags = Table(
    "thread_tags",
    db.metadata,
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case without '#': "researchspeak".
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint(_in("kind", ThreadKind), name="ck_threads_kind"),
        # The category page: pinned first, then by last activity.
        Index("ix_threads_category_activity", "category_id", "last_activity_at"),
        # The front page: latest articles, and active discussions.
        Index("ix_threads_kind_created", "kind", "created_at"),
        Index("ix_threads_activity", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default=ThreadKind.DISCUSSION.value)
    title: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(160))
    # Articles only: the lead shown on the front page, and this article's own disclosure.
    summary: Mapped[str] = mapped_column(Text, default="")
    disclosure: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Visible replies, not counting the opening post.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lock_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when the opening post of a thread without replies is deleted: the thread goes too.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Follows the opening post's hidden or held state, so lists need not join posts.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_labels.id"), index=True)
    label_note: Mapped[str] = mapped_column(Text, default="")
    labelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    label: Mapped[EvidenceLabel | None] = relationship()
    labelled_by: Mapped[User | None] = relationship(foreign_keys=[labelled_by_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id])
    pinned_by: Mapped[User | None] = relationship(foreign_keys=[pinned_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, order_by=Tag.name)
    references: Mapped[list[Reference]] = relationship(
        order_by="Reference.position", cascade="all, delete-orphan"
    )

    @property
    def is_article(self) -> bool:
        return self.kind == ThreadKind.ARTICLE

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # A thread's posts in order, and "recent comments".
        Index("ix_posts_thread_created", "thread_id", "created_at", "id"),
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index("ix_posts_created", "created_at"),
        UniqueConstraint("author_id", "submission_token", name="uq_posts_submission_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The opening post of a thread carries its body; the others are replies.
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    body_source: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised by forum.text; pages print this as it is.
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The one-time token of the form that created this post: a resubmitted form
    # finds its post instead of making a second one, whichever worker gets it.
    submission_token: Mapped[str | None] = mapped_column(String(64))
    # Hidden by a moderator: gone for everyone but moderators and the author.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    # A new member's post waiting for a moderator; shown only to them and moderators.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_labels.id"))
    label_note: Mapped[str] = mapped_column(Text, default="")
    labelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    label: Mapped[EvidenceLabel | None] = relationship()
    labelled_by: Mapped[User | None] = relationship(foreign_keys=[labelled_by_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_held(self) -> bool:
        return self.held_at is not None

    @property
    def deleted_by_author(self) -> bool:
        return self.deleted_by_id is not None and self.deleted_by_id == self.author_id

    @property
    def html(self) -> Markup:
        """The body for a page, printed as it is: `body_html` holds only what
        forum.text.render made of the source (sanitised on every write)."""
        return Markup(self.body_html)  # noqa: S704 - sanitised when stored


class PostRevision(db.Model):
    """A post's source as it was before an edit."""

    __tablename__ = "post_revisions"
    __table_args__ = (Index("ix_post_revisions_post_created", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    body_source: Mapped[str] = mapped_column(Text)
    # When this text was written (the post's creation or the previous edit).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it was replaced, and by whom.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    editor: Mapped[User | None] = relationship()


class Reference(db.Model):
    """A paper an article cites: citation text with a DOI and/or a PMID."""

    __tablename__ = "article_references"
    __table_args__ = (Index("ix_article_references_thread_position", "thread_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    citation: Mapped[str] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(200))
    pmid: Mapped[str | None] = mapped_column(String(12))

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def pubmed_url(self) -> str | None:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else None


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    MISINFORMATION = "misinformation"
    PERSONAL_INFO = "personal-info"
    AT_RISK = "at-risk"
    OTHER = "other"


class Flag(db.Model):
    """A member's report of a post (or of a user), and what the moderators did."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(_in("reason", FlagReason), name="ck_flags_reason"),
        Index("ix_flags_open", "resolved_at", "created_at"),
        # One open report per member per post, however fast they click.
        Index(
            "uq_flags_open_report", "post_id", "reporter_id", unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # hidden, labelled, locked, dismissed, suspended
    resolution: Mapped[str] = mapped_column(String(20), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")

    post: Mapped[Post | None] = relationship()
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class CommunitySetting(db.Model):
    """An admin's choice for a community setting, overriding the configured default."""

    __tablename__ = "community_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ModerationEvent(db.Model):
    """Append-only log of moderator actions: who did what to which thing, when and why."""

    __tablename__ = "moderation_events"
    __table_args__ = (Index("ix_moderation_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), index=True
    )
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class Draft(db.Model):
    """Text a member is still writing, kept on the server: one per member and form.

    `key` names the form (see forum.drafts.form_page): "reply:<thread id>",
    "discussion:<category slug>", "article" or "edit:<post id>". A draft is only ever
    shown to its own member."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_drafts_user_key"),
        Index("ix_drafts_user_updated", "user_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    # The form's other writing fields (title, summary, tags, references, disclosure).
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
