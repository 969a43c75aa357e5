"""Reading: the front page, categories, threads, tags, search, feeds; starting threads."""

from .views import bp

__all__ = ["bp"]
