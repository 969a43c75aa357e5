"""The `?page=N` convention shared by every paginated page."""

from flask import abort, request


def requested_page() -> int:
    """The page asked for; a missing, malformed or non-positive value means page 1."""
    page = request.args.get("page", 1, type=int)
    return page if page and page > 0 else 1


def require_page_exists(pagination) -> None:
    """404 for a page past the end (page 1 of an empty list exists)."""
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404, "There is no such page.")
