from wtforms import HiddenField, StringField

from ..web.forms import ForumForm


class DraftForm(ForumForm):
    """Discarding a draft: which form's draft, and where to go after."""

    draft_key = StringField()
    back = HiddenField()
