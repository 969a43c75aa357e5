"""What the page cache compares: one counter per thing a cached page shows."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PageVersion(db.Model):
    """A counter the page cache keeps for one tag ("site", "lists", "thread:42"), raised
    in the transaction that changes what pages with that tag show. A cached page stores
    the counters it was made under and is served only while they still stand."""

    __tablename__ = "page_versions"

    tag: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
