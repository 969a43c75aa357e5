"""Categories: the admins' list of where discussions live, and the lookups every
page uses. Each admin change is in the moderation log."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Category, User
from . import events
from .events import ModerationError


def categories() -> list[Category]:
    return db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def default_category() -> Category | None:
    return db.session.scalar(select(Category).order_by(Category.position, Category.id).limit(1))


def article_category() -> Category | None:
    """Where new articles go: the ARTICLE_CATEGORY, else the first category. The publish
    rule is asked about this category, so an archived one takes no new articles."""
    return category_by_slug(current_app.config["ARTICLE_CATEGORY"]) or default_category()


def save_category(admin: User, category: Category | None, slug: str, name: str,
                  description: str, position: int) -> Category:
    created = category is None
    if created and category_by_slug(slug) is not None:
        raise ModerationError(_("A category already uses that address."))
    if created:
        category = Category(slug=slug)
        db.session.add(category)
    category.name, category.description, category.position = (
        name.strip(), description.strip(), position)
    events.record(admin, "category: create" if created else "category: edit",
                  reason=f"{category.slug}: {category.name}")
    events.commit()
    return category


def archive_category(admin: User, category: Category, archived: bool) -> None:
    events.archive(admin, category, archived, "category", category.slug)
