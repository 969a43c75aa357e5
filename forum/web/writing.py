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

from ..domain import labels, safety, threads
from ..models import FlagReason
from . import log_words
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


class WritingForm(ForumForm):
    """A form that publishes what a member wrote. When the text has crisis language or
    personal information, sending it shows the writing check first (ready_to_send);
    "Post as written" (`confirmed`) sends it again past the check."""
    confirmed = SubmitField(_l("Post as written"))

    # The fields whose words are checked, and whose personal information is shown.
    checked_fields = ("title", "summary", "body")


class WritingCheck:
    """What the check above a writing form says: the crisis phrases found (with the
    helplines to show), and each field holding personal information, marked."""

    def __init__(self, form, with_crisis: bool):
        fields = [form[name] for name in form.checked_fields if name in form]
        words = "\n".join(field.data or "" for field in fields)
        self.crisis = bool(with_crisis and safety.crisis_phrases(words))
        self.helplines = safety.helplines() if self.crisis else []
        self.personal = []
        for field in fields:
            findings = safety.personal_info(field.data or "")
            if findings:
                self.personal.append((field.label.text, safety.marked(field.data, findings)))
        self.confirmable = with_crisis

    def __bool__(self) -> bool:
        return self.crisis or bool(self.personal)


def ready_to_send(form) -> bool:
    """Whether a writing form may publish now: sent, valid, not a preview, and checked.
    A preview warns about personal information; a send with crisis language or personal
    information comes back as the form with the check above it (`form.check`), the text
    kept, until "Post as written" or a text the check finds nothing in."""
    form.check = None
    if not form.validate_on_submit():
        return False
    if form.preview.data:
        form.check = WritingCheck(form, with_crisis=False) or None
        return False
    if not form.confirmed.data:
        form.check = WritingCheck(form, with_crisis=True) or None
    return form.check is None


def waiting(message: str, post) -> str:
    """`message` (it waits for a moderator), with why when that is not only that the
    author is new (a link to a watched domain)."""
    reason = log_words.held_reason(post.held_reason)
    return f"{message} {reason}" if reason else message


class CitationField(StringField):
    """An evidence label's optional citation: a DOI or a PMID (domain.labels)."""

    def pre_validate(self, form):
        try:
            labels.parse_citation(self.data or "")
        except threads.WritingError as error:
            raise ValidationError(str(error)) from None


def citation_field():
    return CitationField(_l("Citation (optional)"), validators=[Optional(), Length(max=300)],
                         description=_l("A study the label rests on: its DOI (10.…) or "
                                        "its PubMed id (PMID: 12345678)."))


class DiscussionForm(WritingForm):
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
        validators=[DataRequired(message=threads.NO_DISCLOSURE), Length(max=2000)],
        filters=[as_stored_line],
        description=_l("Required: anyone who pays you or might gain from what you write, "
                       "or “None”. Starts from your standing statement; adjust it for this "
                       "article."),
    )
    submit = SubmitField(_l("Publish"))


class ThreadEditForm(WritingForm):
    title = DiscussionForm.title
    tags = DiscussionForm.tags
    body = DiscussionForm.body
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save changes"))


class ArticleEditForm(ThreadEditForm):
    summary = ArticleForm.summary
    references = ArticleForm.references
    disclosure = ArticleForm.disclosure


class ReplyForm(WritingForm):
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


class EditPostForm(WritingForm):
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
    citation = citation_field()


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
