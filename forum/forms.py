"""The base of every form: what people type is judged as it will be stored.

Every text field (passwords excepted) is passed through `text.normalise` before
validation, so "required" and the lengths see the stored text: control characters
alone are not a title, NFC cannot lengthen text past its column, and nothing that
XML or a page cannot carry reaches a feed, a profile or the moderation log.
One-line fields (names, titles, tags; not text areas) also lose format characters
(`text.strip_format`): a bidi override or zero-width space is never a name.
"""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from . import text


def as_stored(value):
    return text.normalise(value) if isinstance(value, str) else value


def as_stored_label(value):
    return text.strip_format(text.normalise(value)) if isinstance(value, str) else value


class ForumForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                       PasswordField):
                own = unbound_field.kwargs.get("filters", ())
                label = not issubclass(field_class, TextAreaField)
                options["filters"] = (as_stored_label if label else as_stored, *own)
            return super().bind_field(form, unbound_field, options)
