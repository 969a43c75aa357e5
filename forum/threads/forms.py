"""Forms only the threads blueprint shows."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from ..web.forms import ForumForm


class MarkReviewedForm(ForumForm):
    note = TextAreaField(_l("What you checked (optional)"),
                         validators=[Optional(), Length(max=1000)],
                         description=_l("Kept in the article's review history and the "
                                        "moderation log."))
