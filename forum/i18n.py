"""Which language and time zone a page is in (Flask-Babel's selectors), and the
choices a reader may make.

Language: the signed-in member's setting, then a visitor's `lang` cookie, then the
browser's Accept-Language (best match among LANGUAGES), then DEFAULT_LOCALE.
Time zone: the member's setting, then DEFAULT_TIMEZONE. The choice never changes a URL.
"""

from contextlib import contextmanager
from functools import cache
from zoneinfo import available_timezones

from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, get_locale, refresh
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

COOKIE = "lang"
_FORCED = "forum_i18n_forced"  # on g: (language, time zone) while mail is written

# Each language named in itself, so a reader finds their own in a list they cannot read.
NAMES = {"en": "English", "es": "Español"}


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def language_names() -> list[tuple[str, str]]:
    return [(code, NAMES.get(code, code)) for code in languages()]


def is_language(value: str | None) -> bool:
    return bool(value) and value in languages()


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(value: str | None) -> bool:
    return bool(value) and value in timezones()


def _member():
    if not has_request_context():
        return None
    try:
        return current_user if current_user.is_authenticated else None
    except SQLAlchemyError:  # the error page for a database that is down: read as a visitor
        return None


def select_locale() -> str:
    forced = g.get(_FORCED)
    if forced:
        return forced[0]
    default = current_app.config["DEFAULT_LOCALE"]
    if not has_request_context():  # mail rendered from the command line
        return default
    member = _member()
    if member is not None and is_language(member.locale):
        return member.locale
    cookie = request.cookies.get(COOKIE)
    if is_language(cookie):
        return cookie
    return request.accept_languages.best_match(languages()) or default


def select_timezone() -> str:
    forced = g.get(_FORCED)
    if forced:
        return forced[1]
    member = _member()
    if member is not None and is_timezone(member.timezone):
        return member.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def forget_choice() -> None:
    refresh()


@contextmanager
def in_language(language: str | None):
    """Text made inside is in `language`, when the forum has it: the message about a
    choice just made is in the language the next page will be in."""
    if not is_language(language):
        yield
        return
    with force_locale(language):
        yield


def vary_on_language(response):
    """A page's words depend on Accept-Language and the `lang` cookie: a shared cache
    must not give one reader's Spanish page to another who reads English."""
    if request.endpoint != "static":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def remember_visitor_language(response, language: str) -> None:
    """A visitor's choice, kept in a cookie like the reading preferences."""
    response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def language_for(user) -> str:
    """The language mail to `user` is written in: their setting; else, when they are the
    one on the page that caused it (registering, asking for a reset link), that page's
    language; else DEFAULT_LOCALE (a moderator's action, the command line)."""
    if is_language(user.locale):
        return user.locale
    if has_request_context():
        member = _member()
        if member is None or member.id == user.id:
            return str(get_locale())
    return current_app.config["DEFAULT_LOCALE"]


def timezone_for(user) -> str:
    return user.timezone if is_timezone(user.timezone) else current_app.config["DEFAULT_TIMEZONE"]


def reader(user) -> tuple[str, str]:
    """The language and time zone of text written for `user` to read (their mail)."""
    return language_for(user), timezone_for(user)


@contextmanager
def written_in(language: str, zone: str):
    """Text made inside is in this language and time zone, whoever's request it is
    made in; the request's own choice comes back afterwards."""
    previous = g.get(_FORCED)
    setattr(g, _FORCED, (language, zone))
    refresh()
    try:
        yield
    finally:
        setattr(g, _FORCED, previous)
        refresh()
