"""Joining and signing in."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..domain import accounts
from ..web.forms import (
    ForumForm,
    code_field,
    current_password_field,
    email_field,
    new_password_field,
    repeat_field,
)


class RegisterForm(ForumForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Please choose a username."))],
        description=_l("3 to 30 characters: letters, digits, '_' and '-'. "
                       "Shown publicly, so a pseudonym is a good idea."),
        render_kw={"autocomplete": "username"},
    )
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(message=_l("Please give an email address."))],
        description=_l("Never shown to anyone. Used to confirm your account and reset your "
                       "password."),
        render_kw={"autocomplete": "email"},
    )
    password = new_password_field(
        _l("Password"), _l("At least 10 characters. A few words strung together work well.")
    )
    confirm = repeat_field("password", _l("Repeat the password"))  # i18n: not shown (field name)
    agree = BooleanField(
        _l("I agree to the community guidelines above, and I am 16 or older"),
        validators=[DataRequired(message=_l("Please tick this box to agree to the community "
                                            "guidelines and confirm you are 16 or older."))],
    )

    # The account's own checks run with the form's, so that every problem is said at
    # once (a short password must not hide a bad username until the next try).
    def validate_username(self, field):
        _check(accounts.check_username, field.data)

    def validate_email(self, field):
        _check(accounts.check_address, field.data)


def _check(check, value) -> None:
    try:
        check(value)
    except accounts.FieldError as error:
        raise ValidationError(error.message) from None


class LoginForm(ForumForm):
    username = StringField(
        _l("Username or email"),
        validators=[DataRequired(message=_l("Please fill this in.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = current_password_field(_l("Password"), _l("Please give your password."))
    remember = BooleanField(_l("Keep me signed in on this device"))


class SignInLinkForm(ForumForm):
    """Past the sign-in limit: the name whose account is mailed a one-time link."""

    username = StringField(_l("Username or email"),
                           validators=[DataRequired(), Length(max=254)])


class ResetRequestForm(ForumForm):
    email = email_field(_l("Your email address"))


class ResetForm(ForumForm):
    password = new_password_field(_l("New password"), _l("At least 10 characters."))
    confirm = repeat_field("password", _l("Repeat the new password"))  # i18n: not shown


class TwoFactorLoginForm(ForumForm):
    code = code_field(_l("Code"), _l("The six-digit code from your authenticator app, "
                                     "or one of your recovery codes."))
