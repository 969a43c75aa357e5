"""Moderation and the error pages in Spanish: the queue and the log for a moderator
whose setting is Spanish, flashes after an action (with their plural forms), the
forum's own error pages and the page that gives back a form's text, for a browser
that asks for Spanish."""

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from sqlalchemy import select

from forum import create_app
from forum.domain import reports
from forum.extensions import db, limiter
from forum.models import Flag, OutboxMessage, Post
from tests.conftest import PASSWORD, Browser, RequestClient
from tests.factories import make_category, make_discussion, make_user

SPANISH = {"Accept-Language": "es"}
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def body_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(member, category):
    return make_discussion(member, category, title="A clinic abroad offers a cure",
                           body="They charge a lot.", replies=2)


@pytest.fixture
def spanish_moderator(moderator, moderator_browser):
    """The moderator's own setting is Spanish; the browser asks for nothing."""
    moderator.locale = "es"
    db.session.commit()
    return moderator_browser


def _reported(thread, times: int) -> Post:
    """A reply of `thread` reported by `times` different members."""
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)
                              .order_by(Post.id.desc())).first()
    for n in range(times):
        reports.flag_post(post, make_user(f"reporter{n}"), "spam", f"Advert number {n}")
    return post


def test_the_queue_is_in_the_moderators_language(spanish_moderator, thread):
    empty = body_of(spanish_moderator.get("/mod"))
    assert '<html lang="es"' in empty
    assert "Cola de moderación" in empty and "Denuncias (0)" in empty
    assert "No hay denuncias abiertas." in empty and "No hay nada pendiente." in empty
    assert "Moderation queue" not in empty and "No open reports." not in empty

    _reported(thread, 1)
    one = body_of(spanish_moderator.get("/mod"))
    assert "1 denuncia<" in one and "Resolver 1 denuncia<" in one
    assert "Descartar: dejarlo como está" in one and "Ocultar el mensaje" in one
    assert "spam" in one and "Advert number 0" in one  # the reporter's words as written


def test_report_counts_take_the_spanish_plural(spanish_moderator, thread):
    post = _reported(thread, 5)
    queue = body_of(spanish_moderator.get("/mod"))
    assert "5 denuncias<" in queue and "Resolver 5 denuncias<" in queue

    resolved = spanish_moderator.submit("/mod", {"action": "dismiss", "note": ""},
                                        action=f"/mod/reports/post-{post.id}",
                                        follow_redirects=True)
    assert "5 denuncias resueltas." in body_of(resolved)
    # Resolving again finds none open: the plural form for zero.
    again = spanish_moderator.submit("/mod", {"action": "dismiss", "note": ""},
                                     action=f"/mod/reports/post-{post.id}",
                                     follow_redirects=True)
    assert "0 denuncias resueltas." in body_of(again)


def test_one_resolved_report_is_singular_and_english_stays_english(
        moderator_browser, thread):
    post = _reported(thread, 1)
    english = moderator_browser.submit("/mod", {"action": "dismiss", "note": ""},
                                       action=f"/mod/reports/post-{post.id}",
                                       follow_redirects=True)
    assert "1 report resolved." in body_of(english)
    reports.flag_post(post, make_user("late_reporter"), "other", "Still an advert")
    spanish = moderator_browser.submit("/mod", {"action": "dismiss", "note": ""},
                                       action=f"/mod/reports/post-{post.id}",
                                       follow_redirects=True, headers=SPANISH)
    assert "1 denuncia resuelta." in body_of(spanish)


def test_a_lock_flashes_in_spanish_and_the_log_names_the_action(spanish_moderator, thread):
    locked = spanish_moderator.submit(f"/t/{thread.id}", {"reason": "Fuera de tema."},
                                      action=f"/t/{thread.id}/lock", follow_redirects=True)
    assert "La conversación está cerrada." in body_of(locked)

    log = body_of(spanish_moderator.get("/mod/log"))
    assert "Registro de moderación" in log and "Filtrar" in log
    assert "<td>cerrar</td>" in log  # the stored action "lock", shown in Spanish
    assert "Fuera de tema." in log  # the moderator's own reason, untouched


def test_a_refused_moderation_form_comes_back_in_spanish(spanish_moderator, thread):
    refused = spanish_moderator.submit(f"/t/{thread.id}", {"reason": ""},
                                       action=f"/t/{thread.id}/lock")
    page = body_of(refused)
    assert "Todavía no se ha cambiado nada" in page and "Enviar de nuevo" in page
    assert "¿Por qué se cierra? (se muestra en la conversación)" in page


def test_not_found_is_in_spanish(client):
    response = client.get("/t/999999", headers=SPANISH)
    page = body_of(response)
    assert response.status_code == 404
    assert "Página no encontrada" in page and "Error 404" in page
    assert "Page not found" not in page


def test_too_large_is_in_spanish(client):
    response = client.post("/login", data={"username": "x" * (2 * 1024 * 1024)},
                           headers=SPANISH)
    assert response.status_code == 413
    assert "Demasiado grande para enviarlo" in body_of(response)


@pytest.fixture
def limited(app):
    """An app of its own with sign-in limits on (Flask-Limiter's state is process-wide)."""
    limited_app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                              "RATELIMIT_STORAGE_URI": "memory://",
                              "RATELIMIT_LOGIN": "3 per minute"})
    limited_app.test_client_class = RequestClient
    limiter.reset()
    yield limited_app
    limiter.reset()
    limiter.enabled = False


def test_too_many_requests_is_in_spanish_with_the_wait(limited, member):
    browser = Browser(limited.test_client())
    for _attempt in range(3):
        browser.submit("/login", {"username": "maria", "password": "wrong guess"})
    refused = browser.submit("/login", {"username": "maria", "password": PASSWORD},
                             headers=SPANISH)
    page = body_of(refused)
    assert refused.status_code == 429
    assert "Ve más despacio, por favor" in page
    assert "Lo has hecho demasiadas veces por ahora." in page and " segundos " in page


def test_an_expired_form_gives_the_text_back_in_spanish(member_browser, thread):
    refused = member_browser.client.post(f"/t/{thread.id}/reply", headers={
        **SAME_SITE, **SPANISH}, data={"csrf_token": "expired", "body": "Mi texto largo."})
    page = body_of(refused)
    assert refused.status_code == 400
    assert "Envíalo de nuevo, por favor: tu texto está a salvo" in page
    assert "Mi texto largo.</textarea>" in page
    assert ">Texto</label>" in page and ">Enviar de nuevo</button>" in page


def test_a_reports_outcome_is_stored_in_english_and_shown_in_the_readers_language(
        app, spanish_moderator, thread):
    post = _reported(thread, 1)
    spanish_moderator.submit("/mod", {"action": "hide", "note": ""},
                             action=f"/mod/reports/post-{post.id}")
    db.session.expire_all()
    flag = db.session.scalars(select(Flag).where(Flag.post_id == post.id)).one()
    assert flag.outcome == "A moderator hid the post."  # as stored, whoever resolved it
    assert db.session.get(Post, post.id).hidden_reason == (
        "Reported by members and hidden by a moderator.")
    with app.test_request_context("/"), force_locale("es"):
        assert reports.outcome_text(flag) == "Un moderador ocultó el mensaje."


def test_the_author_is_told_in_their_own_language(moderator_browser, member, thread):
    member.locale = "es"
    db.session.commit()
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).first()
    moderator_browser.submit(f"/t/{thread.id}", {"reason": "Publicidad."},
                             action=f"/p/{post.id}/hide", headers={"Accept-Language": "en"})
    db.session.expire_all()
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == member.email).order_by(OutboxMessage.id.desc())).first()
    assert mail.subject == "Un moderador ha ocultado uno de tus mensajes."
    assert "ha ocultado uno de tus mensajes." in mail.body and "Su motivo: Publicidad." in mail.body
    assert "A moderator" not in mail.body


def test_the_logs_action_filter_offers_the_actions_in_the_readers_words(spanish_moderator,
                                                                        thread):
    spanish_moderator.submit(f"/t/{thread.id}", {"reason": "Fuera de tema."},
                             action=f"/t/{thread.id}/lock")
    spanish_moderator.submit(f"/t/{thread.id}", {}, action=f"/t/{thread.id}/unlock")
    log = body_of(spanish_moderator.get("/mod/log?action=lock"))
    assert '<select id="f-action" name="action">' in log
    assert '<option value="lock" selected>cerrar</option>' in log
    assert '<option value="">Cualquier acción</option>' in log
    assert "<td>cerrar</td>" in log and "<td>reabrir</td>" not in log  # filtered
    # An older link's free text still filters, and stays chosen.
    older = body_of(spanish_moderator.get("/mod/log?action=unl"))
    assert '<option value="unl" selected>unl</option>' in older and "<td>reabrir</td>" in older


def test_a_members_history_reads_in_the_admins_language(app, admin, member):
    from datetime import date

    from tests.conftest import _signed_in

    admin.locale = "es"
    db.session.commit()
    browser = _signed_in(app, admin)
    browser.submit(f"/u/{member.username}", {"until": "2027-01-01", "reason": "Prueba"},
                   action=f"/u/{member.username}/suspend")
    page = body_of(browser.get(f"/admin/users/{member.username}"))
    day = format_date(date(2027, 1, 1), "d MMM y", locale="es")
    assert f"suspender (hasta el {day}: Prueba)" in page, page
    assert "until 2027" not in page
    log = body_of(browser.get("/mod/log"))
    assert f"<td>hasta el {day}: Prueba</td>" in log


def test_a_post_not_approved_without_a_reason_names_the_field_as_the_queue_does(
        app, spanish_moderator, category):
    from tests.conftest import _signed_in

    author = make_user("fresh_face")
    author.established_at = None
    db.session.commit()
    _signed_in(app, author).submit("/c/living-with-ms/new", {"title": "Buy my cure",
                                                             "body": "link"})
    held = db.session.scalar(select(Post).where(Post.held_at.is_not(None)))
    refused = spanish_moderator.submit("/mod", {"reason": ""},
                                       action=f"/mod/held/{held.id}/reject",
                                       follow_redirects=True)
    page = body_of(refused)
    assert "O no aprobar" in page and "¿Por qué se oculta?" not in page
