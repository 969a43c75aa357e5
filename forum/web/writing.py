"""The forms for writing, shared by the blueprints that show them: a discussion, an
article, a reply, their edits; and reporting or labelling what was written."""

from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..domain import labels, threads
from ..models import FlagReason
from .forms import ForumForm, LabelField

TITLE = (5, 150)
BODY = (1, 50_000)


def as_stored_line(value):
    """Titles, summaries, disclosures: stored trimmed (ForumForm has normalised them)."""
    return value.strip() if isinstance(value, str) else value


def _length(low, high, what):
    return Length(min=low, max=high,
                  message=f"{what} must be {low:,} to {high:,} characters long.")


class _TagsField(StringField):
    def pre_validate(self, form):
        try:
            threads.parse_tags(self.data or "", strict=True)
        except threads.WritingError as error:
            raise ValidationError(str(error)) from None


class _ReferencesField(TextAreaField):
    def pre_validate(self, form):
        try:
            threads.parse_references(self.data or "")
        except threads.WritingError as error:
            raise ValidationError(str(error)) from None


class DiscussionForm(ForumForm):
    title = LabelField(
        "Title", validators=[DataRequired(message="Please give your discussion a title."),
                             _length(*TITLE, "The title")],
        filters=[as_stored_line],
        description="What is it about? 5 to 150 characters.",
    )
    body = TextAreaField(
        "Your message", validators=[DataRequired(message="Please write something."),
                                    _length(*BODY, "The message")],
        description="You can use Markdown: *italics*, **bold**, > quotes, - lists, [links](https://…).",
    )
    tags = _TagsField(
        "Tags (optional)", validators=[Optional()],
        description="Up to 5, separated by spaces or commas, for example: fatigue diet. "
        "A #hashtag in the title counts too.",
    )
    # One per rendered form: a second send of the same form finds the first post.
    submission = HiddenField()
    preview = SubmitField("Preview")
    submit = SubmitField("Post")


class ArticleForm(DiscussionForm):
    summary = TextAreaField(
        "Summary", validators=[DataRequired(message="Please write a short summary."),
                               _length(10, 600, "The summary")],
        filters=[as_stored_line],
        description="One or two sentences shown on the front page.",
    )
    references = _ReferencesField(
        "References", validators=[Optional()],
        description="One per line: the citation, then its DOI (10.…) and/or PMID. "
        "For example: Smith J et al. Lancet Neurol 2020. doi:10.1016/S1474-4422(20)30001-2",
    )
    disclosure = TextAreaField(
        "Conflicts of interest for this article", validators=[Optional(), Length(max=2000)],
        filters=[as_stored_line],
        description="Starts from your standing statement; adjust it for this article.",
    )
    submit = SubmitField("Publish")


class ThreadEditForm(ForumForm):
    title = DiscussionForm.title
    tags = DiscussionForm.tags
    body = DiscussionForm.body
    preview = SubmitField("Preview")
    submit = SubmitField("Save changes")


class ArticleEditForm(ThreadEditForm):
    summary = ArticleForm.summary
    references = ArticleForm.references
    disclosure = ArticleForm.disclosure


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


# -- reporting and labelling -------------------------------------------------------------

REASON_LABELS = {
    FlagReason.SPAM: "Spam or advertising",
    FlagReason.HARASSMENT: "Harassment or abuse",
    FlagReason.MISINFORMATION: "Misinformation or an unproven treatment",
    FlagReason.PERSONAL_INFO: "Someone's personal information",
    FlagReason.AT_RISK: "Someone may be at risk",
    FlagReason.OTHER: "Something else (please say what)",
}


def label_id(value) -> int:
    """A label id from a form: 0 (no label) for anything that is not a sane id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def reason_field(required: bool, label: str = "Reason"):
    validators = [DataRequired(message="Please give a reason.")] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=2000)])


class LabelForm(ForumForm):
    label = SelectField("Evidence label", coerce=label_id, default=0, validate_choice=False,
                        description="Choose “No label” to remove one.")
    note = TextAreaField("Note shown with the label (optional)",
                         validators=[Optional(), Length(max=1000)])


class FlagForm(ForumForm):
    reason = RadioField(
        "What is wrong?",
        choices=[SelectChoice(value.value, text) for value, text in REASON_LABELS.items()],
        validators=[DataRequired(message="Please choose what is wrong.")],
    )
    note = TextAreaField("Anything the moderators should know (optional)",
                         validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.reason.data == FlagReason.OTHER and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, "Please say what is wrong."]
            return False
        return valid


def label_choices(form, none_label: str = "No label"):
    """Fill a form's label list with the labels in use (0 means none)."""
    form.label.choices = [(0, none_label)] + [(label.id, label.name)
                                              for label in labels.active_labels()]
    return form
