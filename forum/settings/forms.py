"""A member's settings: profile, address, password, reading, two-step sign-in, leaving."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, AnyOf, DataRequired, Length, Optional, ValidationError

from .. import i18n
from ..models import ProfileVisibility, TextSize
from ..web.forms import (
    ForumForm,
    LabelField,
    code_field,
    current_password_field,
    email_field,
    new_password_field,
    repeat_field,
)


class ProfileForm(ForumForm):
    display_name = LabelField(
        _l("Display name"),
        validators=[Optional(), Length(max=60)],
        description=_l("Shown beside your posts instead of your username, if you like "
                       "(your @username is shown with it). It cannot be another member's name."),
    )
    bio = TextAreaField(
        _l("About you"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Optional. Shown on your profile."),
    )
    # Not required: a form sent without it keeps the choice. Checked here rather than
    # by WTForms, so a wrong value gets a clear message.
    profile_visibility = RadioField(
        _l("Who can see your profile"),
        choices=[
            SelectChoice(ProfileVisibility.NOINDEX.value,
                         _l("Anyone, but search engines are asked not to list it")),
            SelectChoice(ProfileVisibility.MEMBERS.value, _l("Only signed-in members")),
            SelectChoice(ProfileVisibility.PUBLIC.value,
                         _l("Anyone, and search engines may list it")),
        ],
        validate_choice=False,
        validators=[Optional(), AnyOf([choice.value for choice in ProfileVisibility],
                                      message=_l("Please choose who can see your profile."))],
        description=_l("Your profile shows your bio and your posts. Your posts always "
                       "link to it, whatever you choose."),
    )


class ExpertProfileForm(ProfileForm):
    # Credentials and affiliation are not here: the profile shows what an admin checked,
    # and a change to them is a new verification request (VerificationRequestForm).
    conflicts = TextAreaField(
        _l("Standing conflict-of-interest statement"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Shown on your profile; each new article starts from it."),
    )


class EmailChangeForm(ForumForm):
    new_email = email_field(_l("New email address"))
    current_password = current_password_field(message=_l("Please fill this in."))
    # Asked for (and shown) only when two-step sign-in is on: the address is how an
    # account is recovered, so changing it takes both steps.
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), Length(max=40)],
        description=_l("Or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "off"},
    )


class PasswordChangeForm(ForumForm):
    current_password = current_password_field(_l("Current password"), _l("Please fill this in."))
    new_password = new_password_field(_l("New password"))
    confirm = repeat_field("new_password",  # i18n: not shown (the field it repeats)
                           _l("Repeat the new password"))


class PreferencesForm(ForumForm):
    text_size = RadioField(
        _l("Text size"),
        choices=[
            SelectChoice(TextSize.NORMAL.value, _l("Normal")),
            SelectChoice(TextSize.LARGE.value, _l("Large")),
            SelectChoice(TextSize.LARGEST.value, _l("Largest")),
        ],
        default=TextSize.NORMAL.value,
    )
    high_contrast = BooleanField(_l("High contrast (black on white, stronger borders)"))
    energy_saver = BooleanField(
        _l("Energy-saver mode"),
        description=_l("For bad days: larger text, higher contrast, no movement, "
                       "one column and bigger buttons, all at once."),
    )
    # Not required: a form sent without them (older pages, scripts) keeps what is set.
    # The choices are checked here, not by WTForms, so a wrong value gets a clear message.
    language = SelectField(_l("Language"), validate_choice=False)
    timezone = SelectField(
        _l("Time zone"), validate_choice=False,
        description=_l("Dates and times are shown in this time zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = list(i18n.language_names())
        self.timezone.choices = sorted(i18n.timezones())

    def validate_language(self, field):
        if field.data and not i18n.is_language(field.data):
            raise ValidationError(_l("Please choose one of the languages in the list."))

    def validate_timezone(self, field):
        if field.data and not i18n.is_timezone(field.data):
            raise ValidationError(_l("Please choose a time zone from the list, such as "
                                     "Europe/London."))


class VerificationRequestForm(ForumForm):
    credentials = StringField(
        _l("Your professional title and qualifications"),
        validators=[DataRequired(message=_l("Please give your title and qualifications.")),
                    Length(max=200)],
        description=_l("For example: Consultant neurologist, MD PhD."),
    )
    affiliation = StringField(
        _l("Where you work"),
        validators=[DataRequired(message=_l("Please say where you work.")), Length(max=200)],
    )
    register_name = StringField(
        _l("Professional register"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("For example GMC, NMC or HCPC."),
    )
    register_number = StringField(
        _l("Registration number"), validators=[DataRequired(), Length(max=60)]
    )
    evidence_url = URLField(
        _l("A public page that confirms who you are"),
        validators=[
            DataRequired(),
            URL(message=_l("Please give a full web address (https://…).")),
            Length(max=500),
        ],
        description=_l("Your register entry or your page on your employer's site."),
    )


class DeleteAccountForm(ForumForm):
    posts = RadioField(
        _l("Your posts"),
        choices=[
            SelectChoice("keep",
                         _l("Keep my posts, shown as written by \u201ca former member\u201d")),
            SelectChoice("delete", _l("Delete my posts too")),
        ],
        default="keep",
    )
    password = current_password_field(_l("Your password"), _l("Please fill this in."))


class TwoFactorEnableForm(ForumForm):
    code = code_field(_l("Code from your app"), _l("The six-digit code your app shows now."),
                       inputmode="numeric")
    password = current_password_field()


class TwoFactorConfirmForm(ForumForm):
    """Turning it off, or new recovery codes: the password and a current code."""

    password = current_password_field()
    code = code_field()


HOURS = [SelectChoice("", _l("No quiet hours"))] + [
    SelectChoice(str(hour), f"{hour:02d}:00") for hour in range(24)]


HOUR_VALUES = frozenset(str(hour) for hour in range(24))


class NotificationSettingsForm(ForumForm):
    email_notifications = RadioField(
        _l("Email me about notifications"),
        choices=[SelectChoice("none", _l("Never")),
                 SelectChoice("immediate",
                              _l("When I'm away from the forum (a few minutes later)")),
                 SelectChoice("daily", _l("A daily digest")),
                 SelectChoice("weekly", _l("A weekly digest"))],
        validate_choice=False)
    quiet_from = SelectField(_l("Quiet hours from"), choices=HOURS, validate_choice=False)
    quiet_until = SelectField(_l("Quiet hours until"), choices=HOURS, validate_choice=False)

    def validate_email_notifications(self, field):
        if field.data not in ("none", "immediate", "daily", "weekly"):
            raise ValidationError(_l("Please choose one of the options."))

    def _hour(self, field):
        if field.data in ("", None):
            return None
        # Compared as text: "²" or "٣" pass str.isdigit() but int() refuses them.
        if str(field.data) not in HOUR_VALUES:
            raise ValidationError(_l("Please choose an hour from the list."))
        return int(field.data)

    def validate_quiet_from(self, field):
        self._hour(field)

    def validate_quiet_until(self, field):
        self._hour(field)
        start, end = self.quiet_from.data or "", field.data or ""
        if (start == "") != (end == ""):
            raise ValidationError(_l("Choose both hours, or neither for no quiet hours."))
        if start != "" and start == end:
            raise ValidationError(_l("Quiet hours must end at another hour than they start."))
