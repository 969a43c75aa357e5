"""The base of every form: what people type is judged as it will be stored.

Every text field (passwords excepted) is passed through `text.normalise` before
validation, so "required" and the lengths see the stored text: control characters
alone are not a title, NFC cannot lengthen text past its column, and nothing that
XML or a page cannot carry reaches a feed, a profile or the moderation log.
Names and titles (`LabelField`) also lose format characters (`text.strip_format`):
a bidi override or a zero-width space is never part of a name or a title.

Forms read only `request.form`. Flask-WTF would also hand them `request.files` (a
field sent as a file part of a multipart body arrives there, as a FileStorage that
no text validator can measure: a 500) and a JSON body (any JSON value, lists and
numbers included). No form here takes a file, so a field sent any other way than as
form text is simply missing, and the form says so as it would for an empty field.
"""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import text


def as_stored(value):
    return text.normalise(value) if isinstance(value, str) else value


def as_stored_label(value):
    # Format characters go first, so that what they separated is then composed (NFC).
    return text.normalise(text.strip_format(value)) if isinstance(value, str) else value


class LabelField(StringField):
    """A name or a title: one line that others read as who wrote or what it is about."""


class ForumForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto:  # as Flask-WTF does, without the files and the JSON
                return request.form if form.is_submitted() and request.form else None
            return formdata

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                       PasswordField):
                own = unbound_field.kwargs.get("filters", ())
                label = issubclass(field_class, LabelField)
                options["filters"] = (as_stored_label if label else as_stored, *own)
            return super().bind_field(form, unbound_field, options)


# -- fields and forms the blueprints share -------------------------------------------

# Defaults of the field makers below (lazy: read in each request's language).
AT_LEAST_10 = _l("At least 10 characters.")
CODE = _l("Code")
CODE_HINT = _l("The six-digit code from your authenticator app, or one of your recovery "
               "codes.")
CURRENT_PASSWORD = _l("Your current password")
GIVE_PASSWORD = _l("Please give your password.")

def new_password_field(label, description=AT_LEAST_10) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=10, message=_l("Passwords need at least 10 characters.")),
        ],
        description=description,
        render_kw={"autocomplete": "new-password"},
    )


def repeat_field(field: str, label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please repeat the password.")),
            EqualTo(field, message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def code_field(label=CODE, description=CODE_HINT, inputmode="text"):
    # A recovery code has letters, so only a code-only field asks for the number pad.
    return StringField(
        label,
        validators=[DataRequired(message=_l("Please type the code.")), Length(max=40)],
        description=description,
        render_kw={"autocomplete": "one-time-code", "inputmode": inputmode,
                   "spellcheck": "false", "autocapitalize": "off"},
    )


def current_password_field(label=CURRENT_PASSWORD, message=GIVE_PASSWORD):
    # No password is longer than 200 characters (accounts.MAX_PASSWORD_LENGTH).
    return PasswordField(
        label,
        validators=[DataRequired(message=message), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


def email_field(label):
    return EmailField(
        label,
        validators=[DataRequired(message=_l("Please fill this in.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )


class EmptyForm(ForumForm):
    """A button: the CSRF token and nothing else."""


class RevokeForm(ForumForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


def apply_errors(form, error) -> None:
    """Show a domain refusal ({field: message}, e.g. AccountError) beside its fields."""
    for field, message in error.errors.items():
        form[field].errors = [*form[field].errors, message]
