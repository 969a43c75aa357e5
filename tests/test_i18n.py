"""Which language and time zone pages are in, through HTTP: the member's setting, a
visitor's cookie, Accept-Language, DEFAULT_LOCALE; and that the catalogs are complete
and compiled."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext
from sqlalchemy import select

from forum import i18n
from forum.dates import time_ago
from forum.extensions import db
from forum.models import OutboxMessage, User, utcnow
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


def test_every_catalog_is_complete():
    catalogs = sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po"))
    assert SPANISH / "messages.po" in catalogs
    for path in catalogs:
        with open(path, "rb") as po:
            catalog = read_po(po)
        language = path.parent.parent.name
        untranslated = [m.id for m in catalog if m.id and (
            not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert not untranslated, f"untranslated in {language}: {untranslated}"
        assert not fuzzy, f"fuzzy in {language} (check and clear the flag): {fuzzy}"


def test_the_compiled_catalog_matches_its_po_file():
    """The .mo files are committed; one older than its .po means `make translations`
    was not run after an edit."""
    with open(SPANISH / "messages.po", "rb") as po, open(SPANISH / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    # Keyed by context and id (pgettext), plurals as tuples (read_mo gives lists).
    def key(m):
        return (m.context, tuple(m.id) if isinstance(m.id, list | tuple) else m.id)

    def text(m):
        return tuple(m.string) if isinstance(m.string, list | tuple) else m.string

    expected = {key(m): text(m) for m in source if m.id and m.string and not m.fuzzy}
    actual = {key(m): text(m) for m in compiled if m.id}
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


def newest_mail(recipient):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                              .order_by(OutboxMessage.id.desc())).first()


def in_spanish(app, english: str) -> str:
    with app.test_request_context("/"), force_locale("es"):
        spanish = gettext(english)
    assert spanish != english, f"no Spanish for {english!r}"
    return spanish


def test_mail_is_in_the_recipients_language_not_the_senders(app, moderator_browser, member):
    member.locale = "es"
    db.session.commit()
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    suspended = moderator_browser.submit(f"/u/{member.username}", {
        "until": until, "reason": "Cooling-off period."},
        action=f"/u/{member.username}/suspend", headers={"Accept-Language": "en"})
    assert suspended.status_code == 302
    mail = newest_mail(member.email)
    assert mail is not None, "the suspension was not mailed"
    english_page = moderator_browser.get(suspended.headers["Location"],
                                         headers={"Accept-Language": "en"})
    assert lang_of(english_page) == "en"  # the moderator's own page stayed English
    assert "Cooling-off period." in mail.body  # the moderator's words are not translated
    assert "Hello" not in mail.body and f"Hola, {member.username}:" in mail.body, mail.body
    # The whole sentence, and the day, in Spanish (diciembre, not Dec).
    day = format_date(utcnow() + timedelta(days=7), "d MMM y", locale="es")
    assert mail.subject == f"Un moderador ha suspendido tu cuenta hasta el {day}."
    assert "dic" in day and "Dec" not in mail.body


def test_a_visitor_asking_in_spanish_gets_spanish_mail_unless_the_account_chose(app, client,
                                                                               member):
    subject = in_spanish(app, "Choose a new password")
    browser = Browser(client)
    browser.submit("/reset", {"email": member.email}, headers={"Accept-Language": "es"})
    assert newest_mail(member.email).subject == subject
    member.locale = "en"
    db.session.commit()
    browser.submit("/reset", {"email": member.email}, headers={"Accept-Language": "es"})
    assert newest_mail(member.email).subject == "Choose a new password"


def test_mail_queued_from_the_command_line_is_in_the_default_language(app, member):
    from forum.domain import mail

    # The app context without a request, as `flask --app forum …` runs.
    mail.queue(member, "reset", token="x")
    db.session.commit()
    assert newest_mail(member.email).subject == "Choose a new password"
    member.locale = "es"
    db.session.commit()
    mail.queue(member, "reset", token="x")
    db.session.commit()
    assert newest_mail(member.email).subject == in_spanish(app, "Choose a new password")


def test_pages_say_they_vary_by_language(client):
    page = client.get("/login", headers={"Accept-Language": "es"})
    assert {"Accept-Language", "Cookie"} <= set(page.headers["Vary"].replace(" ", "").split(","))


def marked_in_the_source() -> set[str]:
    """The msgids `make translations` would extract (babel.cfg's files and keywords)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None,
                "lazy_ngettext": (1, 2), "lazy_pgettext": ((1, "c"), 2)}
    jinja = {"extensions": "jinja2.ext.do"}
    files = [("python", path, {}) for path in (ROOT / "forum").rglob("*.py")] + [
        ("jinja2", path, jinja) for path in (ROOT / "templates").rglob("*")
        if path.suffix in (".html", ".txt", ".xml")]
    found = set()
    for method, path, options in files:
        for _line, message, _comments, _context in extract_from_file(
                method, path, keywords=keywords, options=options):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_is_in_the_catalogs():
    """A string marked after the last `make translations` would show in English on a
    Spanish page: the catalogs must hold every msgid in the source."""
    with open(SPANISH / "messages.po", "rb") as po:
        catalog = {message.id if isinstance(message.id, str) else message.id[0]
                   for message in read_po(po) if message.id}
    missing = sorted(marked_in_the_source() - catalog)
    assert not missing, f"run `make translations`: not in the catalog: {missing}"


def test_joining_in_spanish_keeps_spanish_for_later_mail(app, client):
    browser = Browser(client)
    joined = browser.submit("/register", {
        "username": "lucia", "email": "lucia@example.org", "password": "mis tres gatos negros",
        "confirm": "mis tres gatos negros",
        "agree": "y"}, headers={"Accept-Language": "es"})
    assert joined.status_code == 302
    assert stored("lucia").locale == "es"
    assert newest_mail("lucia@example.org").subject == in_spanish(
        app, "Please confirm your email address")


def test_joining_without_a_language_the_forum_has_keeps_the_default(client):
    Browser(client).submit("/register", {
        "username": "ana", "email": "ana@example.org", "password": "mis tres gatos negros",
        "confirm": "mis tres gatos negros",
        "agree": "y"}, headers={"Accept-Language": "fr"})
    assert stored("ana").locale == "en"


def test_the_message_about_a_new_language_is_in_that_language(member_browser):
    saved = member_browser.submit("/settings/preferences", {
        "text_size": "normal", "language": "es"}, headers={"Accept-Language": "en"},
        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert lang_of(saved) == "es"
    assert "Tus preferencias de lectura se han guardado." in html
    assert "Your reading preferences are saved." not in html


def test_a_visitors_new_language_is_the_language_of_its_message(client):
    saved = Browser(client).submit("/settings/preferences?next=/login", {
        "text_size": "normal", "language": "es"}, headers={"Accept-Language": "en"})
    page = client.get(saved.headers["Location"], headers={"Accept-Language": "en"})
    assert lang_of(page) == "es"
    assert "Tus preferencias de lectura se han guardado." in page.get_data(as_text=True)


def test_the_background_draft_messages_and_the_description_come_in_the_pages_language(
        member_browser):
    from tests.factories import make_category

    make_category()
    page = member_browser.get("/c/living-with-ms/new",
                              headers={"Accept-Language": "es"}).get_data(as_text=True)
    # static/drafts.js reads its words from the page, so they are in its language.
    assert 'data-saved="Borrador guardado a las {time}."' in page
    assert 'data-failed="No hemos podido guardar el borrador ahora mismo.' in page
    assert '<meta name="description" content="Una comunidad tranquila' in page
