"""The admin area's forms: verification decisions, categories, labels, roles, settings."""

from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..web.forms import ForumForm
from ..web.writing import reason_field


class DecisionForm(ForumForm):
    decision = RadioField(
        "Decision",
        choices=[SelectChoice("approve", "Approve"), SelectChoice("decline", "Decline")],
        validators=[DataRequired(message="Please choose approve or decline.")],
    )
    reason = TextAreaField(
        "Reason (sent to the applicant)", validators=[Optional(), Length(max=2000)]
    )
    checked_register = BooleanField("I found them on the register")
    checked_number = BooleanField("The registration number matches")
    checked_link = BooleanField("The link confirms who they are")


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
    reason = reason_field(required=True,
                     label="How did you check it is really them? (logged, and mailed to them)")


class RoleForm(ForumForm):
    role = RadioField("Role", choices=[SelectChoice("member", "Member (or expert, if verified)"),
                                       SelectChoice("moderator", "Moderator"),
                                       SelectChoice("admin", "Admin")],
                      validators=[DataRequired()])


class CommunitySettingsForm(ForumForm):
    HOLD_FIRST_POSTS = IntegerField(
        "New members' posts held for review",
        validators=[NumberRange(min=0, max=50, message="Choose a number from 0 to 50.")],
        description="How many of a new member's first posts wait for a moderator (0: none).",
    )
    REQUIRE_CONFIRMED_EMAIL_TO_POST = BooleanField(
        "Members must confirm their email address before they post")
