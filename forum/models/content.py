"""What members write and where: categories, tags, threads, posts and their
revisions, article references, evidence labels, "this helped me" marks and drafts."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import ThreadKind, UTCDateTime, _in, utcnow
from .users import User


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
    # When its answer was marked, while that reply is public (derived, like the
    # counters: forum.domain.visibility); lists filter on it without joining posts.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An evidence label's optional citation (a DOI or a PMID, checked like references).
    label_doi: Mapped[str | None] = mapped_column(String(200))
    label_pmid: Mapped[str | None] = mapped_column(String(12))
    # Signed-out visitors see only the title and the opening post's first 250 characters.
    members_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Articles: when last reviewed and when the next review is due, copied from the
    # newest ArticleReview (lists filter on them without joining). Editing the text
    # does not move these.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

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

    @property
    def is_due_for_review(self) -> bool:
        """An article whose next review date has come (or that was never reviewed)."""
        return self.is_article and (self.review_due_at is None or self.review_due_at <= utcnow())


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # A thread's posts in order, and "recent comments".
        Index("ix_posts_thread_created", "thread_id", "created_at", "id"),
        # A page of a thread without OFFSET: its public posts by position.
        Index("ix_posts_thread_position", "thread_id", "position"),
        Index("ix_posts_author_created", "author_id", "created_at"),
        Index("ix_posts_created", "created_at"),
        UniqueConstraint("author_id", "submission_token", name="uq_posts_submission_token"),
        # A thread has one answer at most.
        Index("uq_posts_thread_answer", "thread_id", unique=True,
              sqlite_where=text("answered_at IS NOT NULL"),
              postgresql_where=text("answered_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The opening post of a thread carries its body; the others are replies.
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the post stands among its thread's public posts, 1 for the first (in
    # created_at, id order); None while it is not public. Kept by domain/visibility.py,
    # so page N of a thread is a range of positions, found by index whatever N is.
    position: Mapped[int | None] = mapped_column(Integer)
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
    # Why it waits, when not only because the author is new ("links to a watched
    # domain: example.com"), stored in English.
    held_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    label_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_labels.id"))
    label_note: Mapped[str] = mapped_column(Text, default="")
    labelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked as its thread's answer by the starter or a moderator (forum.domain.helpful).
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label_doi: Mapped[str | None] = mapped_column(String(200))
    label_pmid: Mapped[str | None] = mapped_column(String(12))

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


class HelpfulMark(db.Model):
    """A member's "This helped me" on a post: one per member and post."""

    __tablename__ = "helpful_marks"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", name="uq_helpful_marks_post_user"),
        Index("ix_helpful_marks_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


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


class ArticleReview(db.Model):
    """A verified expert's review of an article ("page last reviewed"), and when the
    next is due. The newest one is the article's; older ones are its history."""

    __tablename__ = "article_reviews"
    __table_args__ = (Index("ix_article_reviews_thread_reviewed", "thread_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    reviewer: Mapped[User | None] = relationship()


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
