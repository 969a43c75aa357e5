"""Accounts: members, their signed-in browsers, recovery codes and expert verification."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_pgettext
from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import (
    AccountRole,
    EmailChoice,
    ProfileVisibility,
    Role,
    TextSize,
    UTCDateTime,
    VerificationStatus,
    _in,
    utcnow,
)

# Shown beside a staff member's name, in the reader's language.
STAFF_BADGES = {Role.MODERATOR: lazy_pgettext("staff badge", "Moderator"),
                Role.ADMIN: lazy_pgettext("staff badge", "Admin")}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="ck_users_role"),
        CheckConstraint(_in("text_size", TextSize), name="ck_users_text_size"),
        CheckConstraint(_in("email_notifications", EmailChoice),
                        name="ck_users_email_notifications"),
        CheckConstraint(_in("profile_visibility", ProfileVisibility),
                        name="ck_users_profile_visibility"),
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
    # The interface language (a code in LANGUAGES) and IANA time zone the member chose;
    # unset, the browser's language and DEFAULT_TIMEZONE are used (forum/i18n.py).
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Two-step sign-in (TOTP). The secret is set only once the member has proved their
    # app produces codes, and is stored encrypted (two_factor.seal, a Fernet token); the
    # last accepted time step stops a code being used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # When a mailed one-time sign-in link was last used: every link made before then is
    # spent, so each signs in once.
    sign_in_link_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staying in touch (forum.domain.notifications, forum.domain.mail): how notifications
    # reach them by email, the hours (0-23, in their own time zone) when immediate mail
    # waits until morning, when they were last seen on the site (immediate mail waits
    # MAIL_AWAY_MINUTES for them to see it there; a digest goes only to someone who has
    # not visited since the last one), and when their last digest was made.
    email_notifications: Mapped[str] = mapped_column(
        String(16), default=EmailChoice.IMMEDIATE.value, server_default=EmailChoice.IMMEDIATE.value)
    quiet_from: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_until: Mapped[int | None] = mapped_column(SmallInteger)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who may read their profile page (ProfileVisibility): public but not indexed unless
    # they choose otherwise.
    profile_visibility: Mapped[str] = mapped_column(
        String(16), default=ProfileVisibility.NOINDEX.value,
        server_default=ProfileVisibility.NOINDEX.value)

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
    def account_role(self) -> AccountRole:
        """The role as admin pages and commands name it: a verified member is an expert."""
        if self.role == Role.MEMBER and self.is_verified_expert:
            return AccountRole.EXPERT
        return AccountRole(self.role)

    @property
    def role_label(self) -> str:
        """The staff badge shown beside the name; members and experts have none."""
        return STAFF_BADGES.get(self.role, "")

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
