"""The base of every form: what people type is judged as it will be stored.

Every text field (passwords excepted) is passed through `text.normalise` before
validation, so "required" and the lengths see the stored text: control characters
alone are not a title, NFC cannot lengthen text past its column, and nothing that
XML or a page cannot carry reaches a feed, a profile or the moderation log.
Names and titles (`LabelField`) also lose format characters (`text.strip_format`):
a bidi override or a zero-width space is never part of a name or a title.
"""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from . import text


def as_stored(value):
    return text.normalise(value) if isinstance(value, str) else value


def as_stored_label(value):
    # Format characters go first, so that what they separated is then composed (NFC).
    return text.normalise(text.strip_format(value)) if isinstance(value, str) else value


class LabelField(StringField):
    """A name or a title: one line that others read as who wrote or what it is about."""


class ForumForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                       PasswordField):
                own = unbound_field.kwargs.get("filters", ())
                label = issubclass(field_class, LabelField)
                options["filters"] = (as_stored_label if label else as_stored, *own)
            return super().bind_field(form, unbound_field, options)
