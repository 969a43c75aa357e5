"""Reading preferences (text size, high contrast) on every page.

Signed-in users keep them on their account; visitors keep them in a cookie.
"""

from dataclasses import dataclass

from flask import current_app, has_request_context, request
from flask_login import current_user

from .. import i18n
from ..domain import profiles
from ..models import TextSize

COOKIE = "reading"
SIZES = {size.value for size in TextSize}


@dataclass(frozen=True)
class Preferences:
    text_size: str = TextSize.NORMAL.value
    high_contrast: bool = False
    energy_saver: bool = False
    language: str | None = None
    timezone: str | None = None

    @property
    def css_classes(self) -> str:
        classes = [f"text-{self.text_size}"]
        if self.high_contrast:
            classes.append("contrast-high")
        if self.energy_saver:
            classes.append("energy-saver")
        return " ".join(classes)


def current() -> Preferences:
    if not has_request_context():  # mail rendered from the command line
        return Preferences()
    language, timezone = i18n.select_locale(), i18n.select_timezone()
    if current_user.is_authenticated:
        return Preferences(current_user.text_size, current_user.high_contrast,
                           current_user.energy_saver, language, timezone)
    size, contrast, saver = (request.cookies.get(COOKIE, "").split("|") + ["", "", ""])[:3]
    return Preferences(size if size in SIZES else TextSize.NORMAL.value, contrast == "1",
                       saver == "1", language, timezone)


def save(response, text_size: str, high_contrast: bool, energy_saver: bool,
         language: str | None = None, timezone: str | None = None) -> None:
    """`language` and `timezone` (checked by the form) are kept when given: a member's
    on the account; a visitor's language in its own cookie, their time zone not at all
    (visitors read in DEFAULT_TIMEZONE)."""
    text_size = text_size if text_size in SIZES else TextSize.NORMAL.value
    if current_user.is_authenticated:
        profiles.update_preferences(current_user, text_size, high_contrast, energy_saver)
        if language or timezone:
            profiles.update_language(current_user, language or None, timezone or None)
        return
    if language:
        save_language(response, language)
    response.set_cookie(
        COOKIE, f"{text_size}|{int(bool(high_contrast))}|{int(bool(energy_saver))}",
        max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def save_language(response, language: str) -> None:
    """The footer's language switch, and the reading form's language."""
    if current_user.is_authenticated:
        profiles.update_language(current_user, language, None)
    else:
        i18n.remember_visitor_language(response, language)
