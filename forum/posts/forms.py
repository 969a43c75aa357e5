from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import ForumForm
from ..threads.forms import BODY


class ReplyForm(ForumForm):
    body = TextAreaField(
        "Your reply",
        validators=[DataRequired(message="Please write something before sending."),
                    Length(min=BODY[0], max=BODY[1],
                           message=f"A reply can be at most {BODY[1]:,} characters long.")],
        description="Markdown works: *italics*, **bold**, > quotes, - lists, [links](https://…).",
    )
    submission = HiddenField()
    preview = SubmitField("Preview")
    submit = SubmitField("Send reply")


class EditPostForm(ForumForm):
    body = ReplyForm.body
    preview = SubmitField("Preview")
    submit = SubmitField("Save changes")


class DraftForm(ForumForm):
    """Discarding a draft: which form's draft, and where to go after."""

    draft_key = StringField()
    back = HiddenField()
