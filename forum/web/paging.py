"""The `?page=N` convention shared by every paginated page."""

from flask import abort, request
from flask_babel import gettext as _

MAX_PAGE = 1_000_000


def requested_page(name: str = "page") -> int:
    """The page asked for; a missing, malformed or non-positive value means page 1."""
    page = request.args.get(name, 1, type=int)
    if not page or page < 1:
        return 1
    # Far past any real page: answered with the "no such page" 404, not an overflow.
    return min(page, MAX_PAGE)


def require_page_exists(pagination) -> None:
    """404 for a page past the end (page 1 of an empty list exists)."""
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404, _("There is no such page."))
