"""Which language and time zone pages are in, through HTTP: the member's setting, a
visitor's cookie, Accept-Language, DEFAULT_LOCALE; and that the catalogs are complete
and compiled."""

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from forum import i18n
from forum.dates import time_ago
from forum.extensions import db
from forum.models import User
from tests.conftest import Browser, csrf_token

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES"


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def stored(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_english_is_the_default(client):
    page = client.get("/login")
    assert lang_of(page) == "en"
    assert "Username or email" in page.get_data(as_text=True)


def test_accept_language_es_gives_the_spanish_sign_in_page(client):
    page = client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert lang_of(page) == "es"
    assert "<h1>Iniciar sesión</h1>" in html
    assert "Nombre de usuario o correo electrónico" in html  # a form label (lazy_gettext)
    assert "Saltar al contenido" in html  # the skip link, from base.html
    assert "Username or email" not in html


def test_an_unknown_language_falls_back_to_english(client):
    page = client.get("/login", headers={"Accept-Language": "fr-FR,de;q=0.8"})
    assert lang_of(page) == "en"
    assert "<h1>Sign in</h1>" in page.get_data(as_text=True)


def test_the_error_page_is_translated(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "es"})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert lang_of(page) == "es"
    assert "Página no encontrada" in html and "Error 404" in html


def test_a_visitors_footer_choice_overrides_accept_language(client):
    browser = Browser(client)
    spanish = {"Accept-Language": "es"}
    switched = browser.submit("/login", {"language": "en", "next": "/login"},
                              action="/settings/language", headers=spanish)
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/login")
    cookie = next(value for value in switched.headers.getlist("Set-Cookie")
                  if value.startswith("lang="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert lang_of(client.get("/login", headers=spanish)) == "en"
    # And back to Spanish through the reading form, in a browser that asks for English.
    browser.submit("/settings/preferences", {"text_size": "normal", "language": "es"})
    assert lang_of(client.get("/login", headers={"Accept-Language": "en"})) == "es"


def test_the_footer_switch_refuses_a_language_the_forum_does_not_have(client):
    browser = Browser(client)
    refused = browser.submit("/login", {"language": "xx", "next": "/login"},
                             action="/settings/language")
    assert refused.status_code == 302
    assert not any(value.startswith("lang=") for value in refused.headers.getlist("Set-Cookie"))
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Please choose one of the languages in the list." in page


def test_a_members_setting_overrides_the_cookie_and_accept_language(member_browser):
    saved = member_browser.submit("/settings/preferences", {"text_size": "normal",
                                                            "language": "es"})
    assert saved.status_code == 302
    assert stored("maria").locale == "es"
    member_browser.client.set_cookie("lang", "en")
    page = member_browser.get("/", headers={"Accept-Language": "en"})
    assert lang_of(page) == "es"
    assert ">Cerrar sesión<" in page.get_data(as_text=True)


def test_wrong_language_or_time_zone_is_refused_and_nothing_stored(member_browser):
    for field, value, message in (
        ("language", "klingon", "Please choose one of the languages in the list."),
        ("timezone", "Mars/Olympus_Mons", "Please choose a time zone from the list"),
    ):
        refused = member_browser.submit("/settings/preferences", {
            "text_size": "largest", "language": "en", "timezone": "UTC", field: value})
        assert refused.status_code == 200
        assert message in refused.get_data(as_text=True)
        member = stored("maria")
        assert (member.locale, member.timezone, member.text_size) == (None, None, "normal")


def test_dates_are_in_the_members_time_zone(app, member_browser, client):
    member = stored("maria")
    member.created_at = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    db.session.commit()
    visitor = client.get("/u/maria").get_data(as_text=True)
    assert '<time datetime="2026-11-24T23:30:00Z">24 Nov 2026</time>' in visitor
    member_browser.submit("/settings/preferences", {"text_size": "normal", "language": "en",
                                                    "timezone": "Pacific/Auckland"})
    assert stored("maria").timezone == "Pacific/Auckland"
    own = member_browser.get("/u/maria").get_data(as_text=True)
    # Thirteen hours ahead of UTC in November: already the next day; the machine time
    # stays UTC.
    assert '<time datetime="2026-11-24T23:30:00Z">25 Nov 2026</time>' in own


def test_the_settings_page_offers_the_choices(member_browser):
    page = member_browser.get("/settings").get_data(as_text=True)
    assert 'name="language"' in page and 'name="timezone"' in page
    assert '<option value="Europe/Madrid">Europe/Madrid</option>' in page
    assert csrf_token(page)


def test_the_spanish_catalog_is_complete():
    with open(SPANISH / "messages.po", "rb") as po:
        catalog = read_po(po)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in es: {untranslated}"
    assert not fuzzy, f"fuzzy in es (check and clear the flag): {fuzzy}"


def test_the_compiled_catalog_matches_its_po_file():
    """The .mo files are committed; one older than its .po means `make translations`
    was not run after an edit."""
    with open(SPANISH / "messages.po", "rb") as po, open(SPANISH / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    # A plural message's id and strings are a tuple in the .po and a list in the .mo.
    def texts(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    expected = {texts(m.id): texts(m.string) for m in source
                if m.id and m.string and not m.fuzzy}
    actual = {texts(m.id): texts(m.string) for m in compiled if m.id}
    assert actual == expected, "run `make translations` and commit the .mo file"


def test_time_ago_counts_whole_units_in_the_readers_language(app):
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    cases = {0: ("just now", "ahora mismo"), 59 * 60 + 59: ("59 minutes ago", "hace 59 minutos"),
             3600: ("1 hour ago", "hace 1 hora"), 5 * 3600: ("5 hours ago", "hace 5 horas"),
             7 * 86400: ("7 days ago", "hace 7 días")}
    for language, column in (("en", 0), ("es", 1)):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            i18n.forget_choice()  # as each request does first (the app context is shared)
            for seconds, words in cases.items():
                then = datetime.fromtimestamp(now.timestamp() - seconds, UTC)
                assert time_ago(then, now) == words[column]
