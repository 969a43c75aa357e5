"""The admin area's forms: verification decisions, categories, labels, roles, settings,
the guidelines."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..domain import safety
from ..web.forms import ForumForm
from ..web.writing import reason_field


class DecisionForm(ForumForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("decline", _l("Decline"))],
        validators=[DataRequired(message=_l("Please choose approve or decline."))],
    )
    reason = TextAreaField(
        _l("Reason (sent to the applicant)"), validators=[Optional(), Length(max=2000)]
    )
    checked_register = BooleanField(_l("I found them on the register"))
    checked_number = BooleanField(_l("The registration number matches"))
    checked_link = BooleanField(_l("The link confirms who they are"))


class CategoryForm(ForumForm):
    slug = StringField(_l("Address (letters, digits and '-')"), validators=[
        DataRequired(), Length(max=60),
        Regexp(r"^[a-z0-9][a-z0-9-]*\Z",  # i18n: not shown (a pattern)
               message=_l("Use lower-case letters, digits and '-'.")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])
    position = IntegerField(_l("Position in the list"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])


# How a label is shown: the stored value, and what an admin reads (the list page too).
TONES = [SelectChoice("info", _l("Information")),
         SelectChoice("good", _l("Reassuring")),
         SelectChoice("caution", _l("Caution"))]


class EvidenceLabelForm(ForumForm):
    name = StringField(_l("Label"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("What it means"), validators=[Optional(), Length(max=1000)])
    tone = SelectField(_l("Shown as"), choices=TONES)
    position = IntegerField(_l("Position in the list"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=1000)])


class TwoFactorResetForm(ForumForm):
    reason = reason_field(
        required=True,
        label=_l("How did you check it is really them? (logged, and mailed to them)"))


class RoleForm(ForumForm):
    role = RadioField(_l("Role"),
                      choices=[SelectChoice("member", _l("Member (or expert, if verified)")),
                               SelectChoice("moderator", _l("Moderator")),
                               SelectChoice("admin", lazy_pgettext("role", "Admin"))],
                      validators=[DataRequired()])


class CommunitySettingsForm(ForumForm):
    HOLD_FIRST_POSTS = IntegerField(
        _l("New members' posts held for review"),
        validators=[NumberRange(min=0, max=50, message=_l("Choose a number from 0 to 50."))],
        description=_l("How many of a new member's first posts wait for a moderator (0: none)."),
    )
    REQUIRE_CONFIRMED_EMAIL_TO_POST = BooleanField(
        _l("Members must confirm their email address before they post"))


class SafetyListsForm(ForumForm):
    """The health-safety lists (/admin/safety): each checked line by line, so a bad
    line is refused by its number and nothing is half saved."""
    CRISIS_PHRASES = TextAreaField(
        _l("Crisis phrases"), validators=[Optional(), Length(max=20_000)],
        description=_l("One per line, as whole words; case and accents do not matter. "
                       "Lines starting with # are notes."))
    HELPLINES = TextAreaField(
        _l("Helplines"), validators=[Optional(), Length(max=20_000)],
        description=_l("One per line: region | name | number | web address | when it is "
                       "open. A number made of digits becomes a link that dials it."))
    HELPLINE_REGION = SelectField(_l("Helpline region (shown first)"), validate_choice=False)
    WATCHED_DOMAINS = TextAreaField(
        _l("Watched domains"), validators=[Optional(), Length(max=20_000)],
        description=_l("One host name per line, such as clinic.example. A post linking one "
                       "(or a site under it) waits for a moderator, whoever wrote it."))

    def validate_HELPLINES(self, field):
        try:
            lines = safety.parse_helplines(field.data or "")
        except safety.HelplineError as error:
            raise ValidationError(_l(
                "Line %(number)s is not a helpline: write region | name | number | web "
                "address | when it is open, with a region, a name, and a number or a web "
                "address.", number=error.line)) from None
        self.HELPLINE_REGION.choices = [(r, r) for r in safety.regions(lines)] or [
            (self.HELPLINE_REGION.data, self.HELPLINE_REGION.data)]

    def validate_HELPLINE_REGION(self, field):
        if self.HELPLINES.errors:
            return
        regions = safety.regions(safety.parse_helplines(self.HELPLINES.data or ""))
        if regions and field.data not in regions:
            raise ValidationError(_l("Choose one of the regions in the list of helplines."))

    def validate_WATCHED_DOMAINS(self, field):
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if line.strip() and not line.strip().startswith("#") and not safety.host_name(line):
                raise ValidationError(_l(
                    "Line %(number)s is not a host name: write one site per line, such as "
                    "clinic.example.", number=number))


class GuidelinesForm(ForumForm):
    GUIDELINES = TextAreaField(
        _l("Community guidelines"),
        validators=[DataRequired(message=_l("Please write the guidelines: the page cannot be "
                                            "empty.")),
                    Length(max=50_000, message=_l("The guidelines can be at most 50,000 "
                                                  "characters long."))],
        description=_l("Markdown: # headings, *italics*, **bold**, - lists, [links](https://…). "
                       "Shown at /guidelines and linked from every writing form and from "
                       "registration."),
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save the guidelines"))
