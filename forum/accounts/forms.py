from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(message="Please choose a username.")],
        description="3 to 30 characters: letters, digits, '_' and '-'. "
        "Shown publicly, so a pseudonym is a good idea.",
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired(message="Please give an email address.")],
        description="Never shown to anyone. Used to confirm your account and reset your password.",
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Please choose a password.")],
        description="At least 10 characters. A few words strung together work well.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired(message="Please repeat the password."),
            EqualTo("password", message="The two passwords differ."),
        ],
    )


class LoginForm(FlaskForm):
    username = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")


class LogoutForm(FlaskForm):
    """CSRF token only."""
