"""Moderators' forms: the reason for an action, moving a thread, resolving reports,
suspending a member."""

from datetime import UTC, datetime
from datetime import time as day_time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..domain.safety_queue import MAX_NOTE, MAX_TEMPLATES_TEXT
from ..web.forms import ForumForm
from ..web.writing import citation_field, label_id, reason_field


class ReasonForm(ForumForm):
    """Unlock, unpin, restore, reinstate: an optional reason for the log."""

    reason = reason_field(required=False, label=_l("Reason (optional)"))


class LockForm(ForumForm):
    reason = reason_field(required=True, label=_l("Why is it locked? (shown on the thread)"))


class HideForm(ForumForm):
    reason = reason_field(required=True, label=_l("Why is it hidden? (the author is told)"))


class RejectForm(ForumForm):
    """A held post not approved: the error names the field as the queue does."""

    reason = reason_field(required=True,
                          label=_l("Or do not approve, because (the author is told)"))


class MoveForm(ForumForm):
    category = SelectField(_l("Move to"), coerce=int)
    reason = reason_field(required=False, label=_l("Reason (optional)"))


class ResolveForm(ForumForm):
    action = RadioField(
        _l("Decision"),
        choices=[SelectChoice("dismiss", _l("Dismiss: leave it as it is")),
                 SelectChoice("label", _l("Label the post")),
                 SelectChoice("hide", _l("Hide the post")),
                 SelectChoice("lock", _l("Lock the thread"))],
        validators=[DataRequired(message=_l("Please choose what to do."))],
    )
    # Checked against the labels in use by the service; absent when not labelling.
    label = SelectField(_l("Label (when labelling)"), coerce=label_id, default=0,
                        validate_choice=False)
    note = TextAreaField(_l("Note (shown with a label or to the author)"),
                         validators=[Optional(), Length(max=2000)])
    citation = citation_field()


class SuspendForm(ForumForm):
    until = DateField(_l("Suspended until"), validators=[DataRequired(
        message=_l("Please give the date the suspension ends (YYYY-MM-DD)."))])
    reason = reason_field(required=True, label=_l("Why? (the member is told)"))

    @property
    def ends_at(self) -> datetime:
        """The end of the chosen day, UTC."""
        return datetime.combine(self.until.data, day_time.max, tzinfo=UTC)

    def validate_until(self, field):
        if field.data is not None and self.ends_at <= datetime.now(UTC):
            raise ValidationError(_l("The end of a suspension must be in the future."))


class MembersOnlyForm(ForumForm):
    """The members-only switch: `members_only` checked (any of "y", "on", "1", "true")
    makes the thread members-only, absent opens it to everyone."""

    members_only = BooleanField(_l("Members only"), false_values=("", "0", "false", "off",
                                                                  "n", "no"))
    reason = reason_field(required=False, label=_l("Reason (optional, the starter is told)"))
    next = HiddenField()


class NoteForm(ForumForm):
    template = SelectField(_l("Start from a template"), validate_choice=False)
    body = TextAreaField(_l("Your note (only the member receives it)"), validators=[
        DataRequired(message=_l("Please write the note.")), Length(max=MAX_NOTE)],
        render_kw={"rows": 12})


class AlertResolveForm(ForumForm):
    note = TextAreaField(_l("Note for the log (optional)"),
                         validators=[Optional(), Length(max=2000)])


class TemplatesForm(ForumForm):
    templates = TextAreaField(
        _l("Note templates"),
        description=_l("Each template starts with a line “## Name”; the lines after it "
                       "are the note."),
        validators=[DataRequired(message=_l("Please keep at least one template.")),
                    Length(max=MAX_TEMPLATES_TEXT)], render_kw={"rows": 24})
