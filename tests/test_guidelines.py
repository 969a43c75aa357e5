"""The community guidelines: a public page from an admin-editable Markdown setting,
linked from every writing form and from registration; the notice under each form."""

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ModerationEvent
from tests.conftest import Browser
from tests.factories import make_article, make_category, make_discussion

NOTICE = "Share your experience, not medical advice"


def page(response):
    return response.get_data(as_text=True)


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def test_the_default_guidelines_are_public(client):
    response = client.get("/guidelines")
    assert response.status_code == 200
    body = page(response)
    for words in ("not medical advice", "MS team", "Someone may be at risk", "116 123",
                  "pseudonym", "Evidence labels", "another look"):
        assert words in body


def test_an_admin_previews_then_saves_and_it_is_logged(app, admin):
    browser = signed_in(app, admin)
    preview = browser.submit("/admin/guidelines", {"GUIDELINES": "# Be kind\n\n**Always.**",
                                                   "preview": "Preview"})
    assert preview.status_code == 200 and "<strong>Always.</strong>" in page(preview)
    saved = browser.submit("/admin/guidelines", {"GUIDELINES": "# Be kind\n\n**Always.**"})
    assert saved.status_code == 302
    shown = page(app.test_client().get("/guidelines"))
    assert "<strong>Always.</strong>" in shown and "116 123" not in shown
    event = db.session.scalar(select(ModerationEvent).where(ModerationEvent.action == "setting"))
    assert event.actor_id == admin.id and event.reason == "Community guidelines"


def test_the_guidelines_are_rendered_safely(app, admin):
    hostile = "Hi <script>alert(1)</script> [x](javascript:alert(1))"
    signed_in(app, admin).submit("/admin/guidelines", {"GUIDELINES": hostile})
    shown = page(app.test_client().get("/guidelines"))
    assert "<script>alert" not in shown and 'href="javascript' not in shown


def test_empty_guidelines_are_refused(app, admin):
    response = signed_in(app, admin).submit("/admin/guidelines", {"GUIDELINES": "  "})
    assert response.status_code == 200 and "cannot be empty" in page(response)
    assert "116 123" in page(app.test_client().get("/guidelines"))


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_only_admins_edit_them(app, member, moderator, who):
    user = member if who == "member" else moderator
    assert signed_in(app, user).get("/admin/guidelines").status_code == 403


def test_every_writing_form_links_the_guidelines_and_shows_the_notice(app, member, expert):
    category = make_category()
    make_category("research-news", "Research news")
    thread = make_discussion(member, category)
    writer = signed_in(app, member)
    post_id = page(writer.get(f"/t/{thread.id}")).split('id="p', 1)[1].split('"', 1)[0]
    for path in (f"/t/{thread.id}", "/c/living-with-ms/new", f"/p/{post_id}/edit"):
        body = page(writer.get(path))
        assert NOTICE in body and 'href="/guidelines"' in body, path
    body = page(signed_in(app, expert).get("/articles/new"))
    assert NOTICE in body and 'href="/guidelines"' in body


def test_registration_links_the_guidelines_beside_the_agree_box(client):
    body = page(client.get("/register"))
    agree = body.index('name="agree"')  # the link sits just above the box
    assert 'href="/guidelines"' in body[agree - 600: agree + 600]


def test_articles_show_the_notice_above_their_references(app, expert):
    article = make_article(expert, make_category("research-news", "Research news"))
    body = page(app.test_client().get(f"/t/{article.id}"))
    assert "not medical advice for you" in body
    assert body.index("not medical advice for you") < body.index('id="references-heading"')
