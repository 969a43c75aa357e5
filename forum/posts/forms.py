from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..threads.forms import BODY, as_stored


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Your reply",
        validators=[DataRequired(message="Please write something before sending."),
                    Length(min=BODY[0], max=BODY[1],
                           message=f"A reply can be at most {BODY[1]:,} characters long.")],
        filters=[as_stored],
        description="Markdown works: *italics*, **bold**, > quotes, - lists, [links](https://…).",
    )
    submission = HiddenField()
    preview = SubmitField("Preview")
    submit = SubmitField("Send reply")


class EditPostForm(FlaskForm):
    body = ReplyForm.body
    preview = SubmitField("Preview")
    submit = SubmitField("Save changes")
