"""How far each member has read: one row per member and thread they have opened."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ThreadRead(db.Model):
    """The newest post a member has been shown of a thread (forum.domain.reading).

    Only ever moves forward. Not a foreign key to the post: it is a place in the thread,
    and stays meaningful whatever happens to that post."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The thread lists ask by member and a page of threads: the primary key serves them.
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_post_id: Mapped[int] = mapped_column(Integer)
