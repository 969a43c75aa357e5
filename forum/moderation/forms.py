from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..forms import ForumForm
from ..models import FlagReason

REASON_LABELS = {
    FlagReason.SPAM: "Spam or advertising",
    FlagReason.HARASSMENT: "Harassment or abuse",
    FlagReason.MISINFORMATION: "Misinformation or an unproven treatment",
    FlagReason.PERSONAL_INFO: "Someone's personal information",
    FlagReason.AT_RISK: "Someone may be at risk",
    FlagReason.OTHER: "Something else (please say what)",
}


def _label_id(value) -> int:
    """A label id from a form: 0 (no label) for anything that is not a sane id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def _reason(required: bool, label: str = "Reason"):
    validators = [DataRequired(message="Please give a reason.")] if required else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=2000)])


class ReasonForm(ForumForm):
    """Unlock, unpin, restore, reinstate: an optional reason for the log."""

    reason = _reason(required=False, label="Reason (optional)")


class LockForm(ForumForm):
    reason = _reason(required=True, label="Why is it locked? (shown on the thread)")


class HideForm(ForumForm):
    reason = _reason(required=True, label="Why is it hidden? (the author is told)")


class MoveForm(ForumForm):
    category = SelectField("Move to", coerce=int)
    reason = _reason(required=False, label="Reason (optional)")


class LabelForm(ForumForm):
    label = SelectField("Evidence label", coerce=_label_id, default=0, validate_choice=False,
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


class ResolveForm(ForumForm):
    action = RadioField(
        "Decision",
        choices=[SelectChoice("dismiss", "Dismiss: leave it as it is"),
                 SelectChoice("label", "Label the post"),
                 SelectChoice("hide", "Hide the post"),
                 SelectChoice("lock", "Lock the thread")],
        validators=[DataRequired(message="Please choose what to do.")],
    )
    # Checked against the labels in use by the service; absent when not labelling.
    label = SelectField("Label (when labelling)", coerce=_label_id, default=0,
                        validate_choice=False)
    note = TextAreaField("Note (shown with a label or to the author)",
                         validators=[Optional(), Length(max=2000)])


class SuspendForm(ForumForm):
    until = DateField("Suspended until", validators=[DataRequired(
        message="Please give the date the suspension ends (YYYY-MM-DD).")])
    reason = _reason(required=True, label="Why? (the member is told)")


class CategoryForm(ForumForm):
    slug = StringField("Address (letters, digits and '-')", validators=[
        DataRequired(), Length(max=60),
        Regexp(r"^[a-z0-9][a-z0-9-]*\Z", message="Use lower-case letters, digits and '-'."),
    ])
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    position = IntegerField("Position in the list", default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])


class EvidenceLabelForm(ForumForm):
    name = StringField("Label", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("What it means", validators=[Optional(), Length(max=1000)])
    tone = SelectField("Shown as", choices=[SelectChoice("info", "Information"),
                                            SelectChoice("good", "Reassuring"),
                                            SelectChoice("caution", "Caution")])
    position = IntegerField("Position in the list", default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])


class TwoFactorResetForm(ForumForm):
    reason = _reason(required=True,
                     label="How did you check it is really them? (logged, and mailed to them)")


class RoleForm(ForumForm):
    role = RadioField("Role", choices=[SelectChoice("member", "Member (or expert, if verified)"),
                                       SelectChoice("moderator", "Moderator"),
                                       SelectChoice("admin", "Admin")],
                      validators=[DataRequired()])


def label_choices(form, none_label: str = "No label"):
    """Fill a form's label list with the labels in use (0 means none)."""
    from .services import active_labels

    form.label.choices = [(0, none_label)] + [(label.id, label.name)
                                              for label in active_labels()]
    return form


class CommunitySettingsForm(ForumForm):
    HOLD_FIRST_POSTS = IntegerField(
        "New members' posts held for review",
        validators=[NumberRange(min=0, max=50, message="Choose a number from 0 to 50.")],
        description="How many of a new member's first posts wait for a moderator (0: none).",
    )
    REQUIRE_CONFIRMED_EMAIL_TO_POST = BooleanField(
        "Members must confirm their email address before they post")
