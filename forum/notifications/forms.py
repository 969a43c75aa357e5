"""The watch and mute buttons' forms."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField

from ..models import WatchLevel
from ..web.forms import ForumForm

THREAD_LEVEL_LABELS = {
    WatchLevel.WATCHING: _l("Watching: tell me about every reply"),
    WatchLevel.TRACKING: _l("Tracking: only when someone mentions or quotes me"),
    WatchLevel.NORMAL: _l("Normal: no notifications unless mentioned"),
    WatchLevel.MUTED: _l("Muted: never tell me about this thread"),
}


class ThreadWatchForm(ForumForm):
    level = SelectField(_l("Notifications for this thread"),
                        choices=[SelectChoice(level.value, label) for level, label in
                                 THREAD_LEVEL_LABELS.items()])
    next = HiddenField()


class TopicWatchForm(ForumForm):
    """A category's or a tag's buttons: watch, mute, or neither."""

    level = HiddenField()
    next = HiddenField()


class MuteForm(ForumForm):
    action = HiddenField()
    next = HiddenField()
