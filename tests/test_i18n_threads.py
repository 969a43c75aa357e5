"""The reading and writing pages in Spanish (Accept-Language: es): the front page, a
thread, the new-discussion form with its errors, a refusal from the content rules, and
the reply counts with their plural forms, in Spanish and in English."""

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, utcnow
from tests.conftest import csrf_token
from tests.factories import make_article, make_category, make_discussion

SPANISH = {"Accept-Language": "es"}
ENGLISH = {"Accept-Language": "en"}


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


def test_the_front_page_in_spanish(client, expert, member, category):
    make_article(expert, make_category("research-news", "Research news"))
    make_discussion(member, category, title="Heat and summer fatigue", replies=1)

    page = text_of(client.get("/", headers=SPANISH))

    assert '<html lang="es"' in page
    assert "Lo último de nuestros expertos" in page
    assert "Conversaciones activas" in page
    assert "Comentarios recientes" in page and "Mensajes recientes" in page
    assert "Leer el artículo" in page
    assert "Experto verificado" in page
    assert "0 comentarios" in page  # the article, no comments yet
    assert "1 respuesta" in page  # the discussion's row
    assert "Heat and summer fatigue" in page  # members' words are not translated
    assert "Latest from our experts" not in page and "Active discussions" not in page


def test_a_thread_page_in_spanish(client, member, other_member, category):
    thread = make_discussion(member, category, replies=2, repliers=[other_member])

    page = text_of(client.get(f"/t/{thread.id}/{thread.slug}", headers=SPANISH))

    assert "2 respuestas" in page
    assert "Inicia sesión</a> o" in page and "para responder." in page
    assert 'aria-label="Ruta de navegación"' in page and ">Inicio</a>" in page
    assert "Reply number 1" in page  # the reply itself, as written
    assert "Ir al mensaje más reciente" in page
    assert "Go to the newest post" not in page and "Sign in</a> or" not in page


def test_the_new_discussion_form_and_its_errors_in_spanish(member_browser, category):
    path = f"/c/{category.slug}/new"
    form = member_browser.get(path, headers=SPANISH)
    html = text_of(form)
    assert "Iniciar una conversación en Living with MS" in html
    assert "Vista previa" in html and 'value="Publicar"' in html

    refused = member_browser.client.post(path, headers=SPANISH, data={
        "csrf_token": csrf_token(html), "title": "Hi", "body": "", "tags": "",
    })

    assert refused.status_code == 200
    page = text_of(refused)
    assert "Corrige estos puntos y vuelve a enviarlo, por favor" in page
    assert "El título debe tener entre 5 y 150 caracteres." in page
    assert "Escribe algo, por favor." in page
    assert "Please write something." not in page


def test_a_refusal_reason_from_the_content_rules_in_spanish(member_browser, category):
    category.archived_at = utcnow()
    db.session.commit()

    page = text_of(member_browser.get(f"/c/{category.slug}", headers=SPANISH))

    assert "Esta categoría está archivada: se puede leer, pero no se puede añadir nada." in page


def test_a_refused_report_of_ones_own_post_says_why_in_spanish(member_browser, member,
                                                                category):
    thread = make_discussion(member, category)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening))

    refused = member_browser.get(f"/p/{opening.id}/flag", headers=SPANISH)

    assert refused.status_code == 403
    assert "No puedes denunciar tu propio mensaje." in text_of(refused)


@pytest.mark.parametrize(("replies", "spanish", "english"), [
    (0, "0 respuestas", "0 replies"),
    (1, "1 respuesta", "1 reply"),
    (5, "5 respuestas", "5 replies"),
])
def test_the_reply_count_has_its_plural_form(client, member, category, replies, spanish,
                                             english):
    thread = make_discussion(member, category, replies=replies)
    path = f"/t/{thread.id}/{thread.slug}"

    in_spanish = text_of(client.get(path, headers=SPANISH))
    in_english = text_of(client.get(path, headers=ENGLISH))
    listed = text_of(client.get(f"/c/{category.slug}", headers=SPANISH))

    assert f'<h2 id="replies-heading">{spanish}</h2>' in in_spanish
    assert f'<h2 id="replies-heading">{english}</h2>' in in_english
    assert f"<span>{spanish}</span>" in listed  # the category's thread row
