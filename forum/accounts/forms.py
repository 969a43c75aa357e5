"""Joining and signing in."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length

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
    password = new_password_field(
        "Password", "At least 10 characters. A few words strung together work well."
    )
    confirm = repeat_field("password", "Repeat the password")
    agree = BooleanField(
        "I agree to the community guidelines above, and I am 16 or older",
        validators=[DataRequired(message="Please tick this box to agree to the community "
                                         "guidelines and confirm you are 16 or older.")],
    )


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

    username = StringField("Username or email", validators=[DataRequired(), Length(max=254)])


class ResetRequestForm(ForumForm):
    email = email_field("Your email address")


class ResetForm(ForumForm):
    password = new_password_field("New password")
    confirm = repeat_field("password", "Repeat the new password")


class TwoFactorLoginForm(ForumForm):
    code = code_field()
