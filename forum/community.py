"""Community settings: defaults from the configuration, which admins may override
on the admin settings page (stored in `community_settings`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db
from .models import CommunitySetting, ModerationEvent, User, utcnow


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type  # int, bool or str (a long text: a list one per line, or Markdown)
    label: str  # lazy: shown in the reader's language, logged in English
    help: str


SETTINGS = [
    Setting("HOLD_FIRST_POSTS", int, _l("New members' posts held for review"),
            _l("How many of a new member's first posts wait for a moderator "
               "(0 turns it off).")),
    Setting("REQUIRE_CONFIRMED_EMAIL_TO_POST", bool, _l("Confirmed email needed to post"),
            _l("Whether an account must confirm its email address before it writes.")),
    # Health safety (/admin/safety, /admin/guidelines, /mod/templates).
    Setting("CRISIS_PHRASES", str, _l("Crisis phrases"),
            _l("One per line. A post containing one (as whole words, whatever the case "
               "or accents) shows its author where to find help, and tells moderators.")),
    Setting("HELPLINES", str, _l("Helplines"),
            _l("One per line: region | name | number | web address | when it is open.")),
    Setting("HELPLINE_REGION", str, _l("Helpline region"),
            _l("Whose helplines are shown first: a region named in the list of helplines.")),
    Setting("WATCHED_DOMAINS", str, _l("Watched domains"),
            _l("One per line. A post linking one of these sites (or a site under it) waits "
               "for a moderator, whoever wrote it.")),
    Setting("NOTE_TEMPLATES", str, _l("Note templates"),
            _l("The private notes moderators can start from. Each begins with a line "
               "'## Name'; the lines after it are the note.")),
    Setting("GUIDELINES", str, _l("Community guidelines"),
            _l("The guidelines page, in Markdown.")),
    Setting("IGNORED_BY_MANY", int, _l("Ignored by many"),
            _l("A member ignored by this many others is shown to moderators.")),
]
BY_KEY = {setting.key: setting for setting in SETTINGS}


def _overrides() -> dict[str, str]:
    if "community_overrides" not in g:
        g.community_overrides = dict(
            db.session.execute(select(CommunitySetting.key, CommunitySetting.value)).all()
        )
    return g.community_overrides


def get(key: str):
    setting = BY_KEY[key]
    raw = _overrides().get(key)
    if raw is None:
        return current_app.config[key]
    return raw == "true" if setting.kind is bool else setting.kind(raw)


def get_lines(key: str) -> list[str]:
    """A list setting (one entry per line): its non-empty lines, trimmed, without the
    lines that start with '#' (comments for the admins who edit it)."""
    return [line.strip() for line in get(key).splitlines()
            if line.strip() and not line.strip().startswith("#")]


def save(admin: User, values: dict[str, object]) -> list[str]:
    """Store the settings that changed, log each, and return their keys. Only the
    settings in SETTINGS can be written (a KeyError for any other key). A long text is
    logged by name only: the log is not the place for its whole body."""
    changed = []
    for key, value in values.items():
        setting = BY_KEY[key]
        if value == get(key):
            continue
        text = ("true" if value else "false") if setting.kind is bool else str(value)
        row = db.session.get(CommunitySetting, key) or CommunitySetting(key=key)
        row.value, row.updated_at, row.updated_by_id = text, utcnow(), admin.id
        db.session.add(row)
        with force_locale("en"):  # the log stores English; what is shown is translated
            logged = f"{setting.label}: {text}" if setting.kind is not str else str(setting.label)
        db.session.add(ModerationEvent(actor=admin, action="setting", reason=logged))
        changed.append(key)
    db.session.commit()
    g.pop("community_overrides", None)
    return changed
