from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..web.forms import ForumForm


class DraftForm(ForumForm):
    """Discarding a draft: which form's draft, and where to go after."""

    draft_key = StringField()
    back = HiddenField()


class BookmarkForm(ForumForm):
    """A saved post's note and reminder. The reminder is a date and time in the member's
    own zone: a datetime-local field where the browser has one, a text field that takes
    "YYYY-MM-DD HH:MM" where it has not (forum.domain.bookmarks reads either)."""

    note = TextAreaField(_l("Your note (optional)"), validators=[Optional(), Length(
        max=500, message=_l("Please keep the note to 500 characters or fewer."))],
        description=_l("Only you can see it. Plain text, up to 500 characters."))
    remind_at = StringField(_l("Remind me on (optional)"),
                            render_kw={"type": "datetime-local"},
                            description=_l("A date and time in your time zone, for example "
                                           "2026-12-24 09:30. You get a notification then."))
