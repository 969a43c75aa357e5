from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import ForumForm, LabelField
from . import services

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
            services.parse_tags(self.data or "", strict=True)
        except services.WritingError as error:
            raise ValidationError(str(error)) from None


class _ReferencesField(TextAreaField):
    def pre_validate(self, form):
        try:
            services.parse_references(self.data or "")
        except services.WritingError as error:
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
