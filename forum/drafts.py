"""Forms that must not lose what was typed: one-time submission tokens and previews."""

import secrets

from . import text


def prepare(form) -> None:
    """Give a freshly rendered writing form its one-time submission token."""
    if "submission" in form and not form.submission.data:
        form.submission.data = secrets.token_urlsafe(24)


def preview_of(form) -> str | None:
    """Rendered HTML of the body when the Preview button was pressed, else None."""
    if form.preview.data and form.body.data:
        return text.render(form.body.data)
    return None
