"""The forms for writing, shared by the blueprints that show them: a discussion, an
article, a reply, their edits; and reporting or labelling what was written."""

from flask_babel import LazyString, format_number
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
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


def counted(message, **numbers):
    """A lazy `message` whose %(name)s places take `numbers`, written out in the reader's
    locale when the message is shown (5,000 in English, 5000 or 50.000 in Spanish)."""
    return LazyString(lambda: str(message) % {
        name: format_number(value) for name, value in numbers.items()})


def _length(low, high, message):
    """`message` (lazy) names the field and has %(low)s and %(high)s for the bounds."""
    return Length(min=low, max=high, message=counted(message, low=low, high=high))


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
        _l("Title"), validators=[
            DataRequired(message=_l("Please give your discussion a title.")),
            _length(*TITLE, _l("The title must be %(low)s to %(high)s characters long."))],
        filters=[as_stored_line],
        description=_l("What is it about? 5 to 150 characters."),
    )
    body = TextAreaField(
        _l("Your message"), validators=[
            DataRequired(message=_l("Please write something.")),
            _length(*BODY, _l("The message must be %(low)s to %(high)s characters long."))],
        description=_l("You can use Markdown: *italics*, **bold**, > quotes, - lists, "
                       "[links](https://…)."),
    )
    tags = _TagsField(
        _l("Tags (optional)"), validators=[Optional()],
        description=_l("Up to 5, separated by spaces or commas, for example: fatigue diet. "
                       "A #hashtag in the title counts too."),
    )
    members_only = BooleanField(
        _l("Members only"),
        description=_l("Only signed-in members can read the replies and the whole of your "
                       "message. Visitors and search engines see the title and the first "
                       "few lines. Moderators can change this later."),
    )
    # One per rendered form: a second send of the same form finds the first post.
    submission = HiddenField()
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post"))


class ArticleForm(DiscussionForm):
    summary = TextAreaField(
        _l("Summary"), validators=[
            DataRequired(message=_l("Please write a short summary.")),
            _length(10, 600, _l("The summary must be %(low)s to %(high)s characters long."))],
        filters=[as_stored_line],
        description=_l("One or two sentences shown on the front page."),
    )
    references = _ReferencesField(
        _l("References"), validators=[Optional()],
        description=_l("One per line: the citation, then its DOI (10.…) and/or PMID. "
                       "For example: Smith J et al. Lancet Neurol 2020. "
                       "doi:10.1016/S1474-4422(20)30001-2"),
    )
    disclosure = TextAreaField(
        _l("Conflicts of interest for this article"),
        validators=[Optional(), Length(max=2000)],
        filters=[as_stored_line],
        description=_l("Starts from your standing statement; adjust it for this article."),
    )
    submit = SubmitField(_l("Publish"))


class ThreadEditForm(ForumForm):
    title = DiscussionForm.title
    tags = DiscussionForm.tags
    body = DiscussionForm.body
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save changes"))


class ArticleEditForm(ThreadEditForm):
    summary = ArticleForm.summary
    references = ArticleForm.references
    disclosure = ArticleForm.disclosure


class ReplyForm(ForumForm):
    body = TextAreaField(
        _l("Your reply"),
        validators=[DataRequired(message=_l("Please write something before sending.")),
                    Length(min=BODY[0], max=BODY[1], message=counted(
                        _l("A reply can be at most %(high)s characters long."), high=BODY[1]))],
        description=_l("Markdown works: *italics*, **bold**, > quotes, - lists, "
                       "[links](https://…)."),
    )
    submission = HiddenField()
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Send reply"))


class EditPostForm(ForumForm):
    body = ReplyForm.body
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save changes"))


# -- reporting and labelling -------------------------------------------------------------

REASON_LABELS = {
    FlagReason.SPAM: _l("Spam or advertising"),
    FlagReason.HARASSMENT: _l("Harassment or abuse"),
    FlagReason.MISINFORMATION: _l("Misinformation or an unproven treatment"),
    FlagReason.PERSONAL_INFO: _l("Someone's personal information"),
    FlagReason.AT_RISK: _l("Someone may be at risk"),
    FlagReason.OTHER: _l("Something else (please say what)"),
}


def label_id(value) -> int:
    """A label id from a form: 0 (no label) for anything that is not a sane id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def reason_field(required: bool, label=None):
    validators = ([DataRequired(message=_l("Please give a reason."))] if required
                  else [Optional()])
    return TextAreaField(label or _l("Reason"), validators=[*validators, Length(max=2000)])


class LabelForm(ForumForm):
    label = SelectField(_l("Evidence label"), coerce=label_id, default=0,
                        validate_choice=False,
                        description=_l("Choose “No label” to remove one."))
    note = TextAreaField(_l("Note shown with the label (optional)"),
                         validators=[Optional(), Length(max=1000)])


class FlagForm(ForumForm):
    reason = RadioField(
        _l("What is wrong?"),
        choices=[SelectChoice(value.value, text) for value, text in REASON_LABELS.items()],
        validators=[DataRequired(message=_l("Please choose what is wrong."))],
    )
    note = TextAreaField(_l("Anything the moderators should know (optional)"),
                         validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.reason.data == FlagReason.OTHER and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Please say what is wrong.")]
            return False
        return valid


def label_choices(form, none_label=None):
    """Fill a form's label list with the labels in use (0 means none)."""
    form.label.choices = [(0, none_label or _l("No label"))] + [(label.id, label.name)
                                              for label in labels.active_labels()]
    return form
