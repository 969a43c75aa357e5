from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional

from ..forms import ForumForm, LabelField
from ..models import TextSize


def _new_password(label: str, description: str = "At least 10 characters.") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Please choose a password."),
            Length(min=10, message="Passwords need at least 10 characters."),
        ],
        description=description,
        render_kw={"autocomplete": "new-password"},
    )


def _repeat(field: str, label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message="Please repeat the password."),
            EqualTo(field, message="The two passwords differ."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class RegisterForm(ForumForm):
    username = StringField(
        "Username",
        validators=[DataRequired(message="Please choose a username.")],
        description="3 to 30 characters: letters, digits, '_' and '-'. "
        "Shown publicly, so a pseudonym is a good idea.",
        render_kw={"autocomplete": "username"},
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired(message="Please give an email address.")],
        description="Never shown to anyone. Used to confirm your account and reset your password.",
        render_kw={"autocomplete": "email"},
    )
    password = _new_password(
        "Password", "At least 10 characters. A few words strung together work well."
    )
    confirm = _repeat("password", "Repeat the password")
    agree = BooleanField(
        "I agree to the community guidelines above, and I am 16 or older",
        validators=[DataRequired(message="Please tick this box to agree to the community "
                                         "guidelines and confirm you are 16 or older.")],
    )


class LoginForm(ForumForm):
    username = StringField(
        "Username or email",
        validators=[DataRequired(message="Please fill this in."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Please give your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


class SignInLinkForm(ForumForm):
    """Past the sign-in limit: the name whose account is mailed a one-time link."""

    username = StringField("Username or email", validators=[DataRequired(), Length(max=254)])


class EmptyForm(ForumForm):
    """A button: the CSRF token and nothing else."""


class ResetRequestForm(ForumForm):
    email = EmailField(
        "Your email address",
        validators=[DataRequired(message="Please fill this in."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class ResetForm(ForumForm):
    password = _new_password("New password")
    confirm = _repeat("password", "Repeat the new password")


class ProfileForm(ForumForm):
    display_name = LabelField(
        "Display name",
        validators=[Optional(), Length(max=60)],
        description="Shown beside your posts instead of your username, if you like "
        "(your @username is shown with it). It cannot be another member's name.",
    )
    bio = TextAreaField(
        "About you",
        validators=[Optional(), Length(max=2000)],
        description="Optional. Shown on your profile.",
    )


class ExpertProfileForm(ProfileForm):
    # Credentials and affiliation are not here: the profile shows what an admin checked,
    # and a change to them is a new verification request (VerificationRequestForm).
    conflicts = TextAreaField(
        "Standing conflict-of-interest statement",
        validators=[Optional(), Length(max=2000)],
        description="Shown on your profile; each new article starts from it.",
    )


class EmailChangeForm(ForumForm):
    new_email = EmailField(
        "New email address",
        validators=[DataRequired(message="Please fill this in."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    current_password = PasswordField(
        "Your current password",
        validators=[DataRequired(message="Please fill this in.")],
        render_kw={"autocomplete": "current-password"},
    )
    # Asked for (and shown) only when two-step sign-in is on: the address is how an
    # account is recovered, so changing it takes both steps.
    code = StringField(
        "Code from your authenticator app",
        validators=[Optional(), Length(max=40)],
        description="Or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false",
                   "autocapitalize": "off"},
    )


class PasswordChangeForm(ForumForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(message="Please fill this in.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password("New password")
    confirm = _repeat("new_password", "Repeat the new password")


class PreferencesForm(ForumForm):
    text_size = RadioField(
        "Text size",
        choices=[
            SelectChoice(TextSize.NORMAL.value, "Normal"),
            SelectChoice(TextSize.LARGE.value, "Large"),
            SelectChoice(TextSize.LARGEST.value, "Largest"),
        ],
        default=TextSize.NORMAL.value,
    )
    high_contrast = BooleanField("High contrast (black on white, stronger borders)")
    energy_saver = BooleanField(
        "Energy-saver mode",
        description="For bad days: larger text, higher contrast, no movement, "
        "one column and bigger buttons, all at once.",
    )


class VerificationRequestForm(ForumForm):
    credentials = StringField(
        "Your professional title and qualifications",
        validators=[DataRequired(message="Please give your title and qualifications."),
                    Length(max=200)],
        description="For example: Consultant neurologist, MD PhD.",
    )
    affiliation = StringField(
        "Where you work",
        validators=[DataRequired(message="Please say where you work."), Length(max=200)],
    )
    register_name = StringField(
        "Professional register",
        validators=[DataRequired(), Length(max=60)],
        description="For example GMC, NMC or HCPC.",
    )
    register_number = StringField(
        "Registration number", validators=[DataRequired(), Length(max=60)]
    )
    evidence_url = URLField(
        "A public page that confirms who you are",
        validators=[
            DataRequired(),
            URL(message="Please give a full web address (https://…)."),
            Length(max=500),
        ],
        description="Your register entry or your page on your employer's site.",
    )


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


class RevokeForm(ForumForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])


class DeleteAccountForm(ForumForm):
    posts = RadioField(
        "Your posts",
        choices=[
            SelectChoice("keep", "Keep my posts, shown as written by \u201ca former member\u201d"),
            SelectChoice("delete", "Delete my posts too"),
        ],
        default="keep",
    )
    password = PasswordField(
        "Your password",
        validators=[DataRequired(message="Please fill this in.")],
        render_kw={"autocomplete": "current-password"},
    )


def _code_field(label="Code", description="The six-digit code from your authenticator app, "
                "or one of your recovery codes.", inputmode="text"):
    # A recovery code has letters, so only a code-only field asks for the number pad.
    return StringField(
        label,
        validators=[DataRequired(message="Please type the code."), Length(max=40)],
        description=description,
        render_kw={"autocomplete": "one-time-code", "inputmode": inputmode,
                   "spellcheck": "false", "autocapitalize": "off"},
    )


def _current_password():
    return PasswordField(
        "Your current password",
        validators=[DataRequired(message="Please give your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class TwoFactorLoginForm(ForumForm):
    code = _code_field()


class TwoFactorEnableForm(ForumForm):
    code = _code_field("Code from your app", "The six-digit code your app shows now.",
                       inputmode="numeric")
    password = _current_password()


class TwoFactorConfirmForm(ForumForm):
    """Turning it off, or new recovery codes: the password and a current code."""

    password = _current_password()
    code = _code_field()
