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
    kind: type
    label: str  # lazy: shown in the reader's language, logged in English
    help: str


SETTINGS = [
    Setting("HOLD_FIRST_POSTS", int, _l("New members' posts held for review"),
            _l("How many of a new member's first posts wait for a moderator "
               "(0 turns it off).")),
    Setting("REQUIRE_CONFIRMED_EMAIL_TO_POST", bool, _l("Confirmed email needed to post"),
            _l("Whether an account must confirm its email address before it writes.")),
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


def save(admin: User, *, hold_first_posts: int,
         require_confirmed_email_to_post: bool) -> list[str]:
    """Store the settings that changed, log each, and return their keys. Each setting
    is named, so a form can only ever write these."""
    values = {"HOLD_FIRST_POSTS": hold_first_posts,
              "REQUIRE_CONFIRMED_EMAIL_TO_POST": require_confirmed_email_to_post}
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
            logged = f"{setting.label}: {text}"
        db.session.add(ModerationEvent(actor=admin, action="setting", reason=logged))
        changed.append(key)
    db.session.commit()
    g.pop("community_overrides", None)
    return changed
