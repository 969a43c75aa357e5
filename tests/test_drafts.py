"""Drafts on the server: "Save draft" on every writing form without JavaScript, restored
on coming back, listed at /drafts, gone once posted, and never shown to anyone else."""

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Draft, Post
from forum.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion

SECRET = "Private: my new symptoms since the infusion"


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(other_member, category):
    return make_discussion(other_member, category, title="Cooling vests in summer")


def body_of(response):
    return response.get_data(as_text=True)


def save_draft(browser, page_path, fields, key, **kwargs):
    page = body_of(browser.get(page_path))
    return browser.client.post("/drafts/save", data={
        "csrf_token": csrf_token(page), "draft_key": key, "save_draft": "1", **fields},
        **kwargs)


def drafts_count():
    return db.session.scalar(select(func.count(Draft.id)))


@pytest.fixture
def expert_browser(app, expert):
    browser = Browser(app.test_client())
    browser.login(expert.username)
    return browser


def test_every_writing_form_has_a_save_draft_button(member_browser, expert_browser, member,
                                                    category, thread):
    own = make_discussion(member, category, title="My own thread")
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == own.id))
    forms = [(member_browser, f"/t/{thread.id}", f"reply:{thread.id}"),
             (member_browser, "/c/living-with-ms/new", "discussion:living-with-ms"),
             (expert_browser, "/articles/new", "article"),
             (member_browser, f"/p/{opening}/edit", f"edit:{opening}")]
    for browser, path, key in forms:
        page = body_of(browser.get(path))
        assert 'name="save_draft"' in page and 'formaction="/drafts/save"' in page, path
        assert f'name="draft_key" value="{key}"' in page, path
        # The background save is a script file from this site (the CSP allows no other).
        assert re.search(r'<script src="/static/drafts\.js\?v=[0-9a-f]{12}" defer></script>',
                         page), path
        assert "<script>" not in page


def test_the_script_is_served_and_allowed(client):
    response = client.get("/static/drafts.js")
    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY


def test_a_saved_reply_draft_comes_back_and_is_listed(member_browser, thread):
    saved = save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET},
                       f"reply:{thread.id}")
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"/t/{thread.id}#reply"
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    assert f"{SECRET}</textarea>" in page
    assert "is back in the form" in page and 'name="discard_draft"' in page

    listed = body_of(member_browser.get("/drafts"))
    assert SECRET in listed
    assert f'href="/t/{thread.id}#reply"' in listed and "Cooling vests in summer" in listed


def test_a_discussion_draft_keeps_every_field(member_browser, category):
    save_draft(member_browser, "/c/living-with-ms/new",
               {"title": "Heat and fatigue", "body": SECRET, "tags": "heat summer"},
               "discussion:living-with-ms")
    page = body_of(member_browser.get("/c/living-with-ms/new"))
    assert 'value="Heat and fatigue"' in page and f"{SECRET}</textarea>" in page
    assert 'value="heat summer"' in page


def test_an_edit_draft_comes_back_over_the_post(member_browser, member, category):
    own = make_discussion(member, category, title="My own thread", body="The first version.")
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == own.id))
    save_draft(member_browser, f"/p/{opening}/edit",
               {"title": "My own thread", "body": "A half-done correction.", "tags": ""},
               f"edit:{opening}")
    page = body_of(member_browser.get(f"/p/{opening}/edit"))
    assert "A half-done correction.</textarea>" in page


def test_posting_removes_the_draft(member_browser, thread):
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    assert drafts_count() == 1
    posted = member_browser.submit(f"/t/{thread.id}", {"body": SECRET},
                                   action=f"/t/{thread.id}/reply")
    assert posted.status_code == 302
    assert drafts_count() == 0
    assert SECRET not in body_of(member_browser.get("/drafts"))
    assert f"{SECRET}</textarea>" not in body_of(member_browser.get(f"/t/{thread.id}"))


def test_a_background_save_after_posting_does_not_bring_the_draft_back(member_browser,
                                                                        thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    token = re.search(r'name="submission" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_token(page), "body": SECRET, "submission": token}
    assert member_browser.client.post(f"/t/{thread.id}/reply", data=form).status_code == 302
    late = member_browser.client.post("/drafts/save", data={
        **form, "draft_key": f"reply:{thread.id}"}, headers={"X-Requested-With": "fetch"})
    assert late.status_code == 204
    assert drafts_count() == 0


def test_a_background_save_answers_without_a_page(member_browser, thread):
    saved = save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET},
                       f"reply:{thread.id}", headers={"X-Requested-With": "fetch"})
    assert saved.status_code == 204 and saved.get_data() == b""
    assert drafts_count() == 1
    # Saving again updates the one draft of this form.
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET + " and more"},
               f"reply:{thread.id}", headers={"X-Requested-With": "fetch"})
    assert drafts_count() == 1
    assert db.session.scalar(select(Draft.body)) == SECRET + " and more"


@pytest.mark.parametrize("back, location", [("drafts", "/drafts"), ("", "/t/{id}#reply")])
def test_a_draft_can_be_discarded(member_browser, thread, back, location):
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    page = body_of(member_browser.get("/drafts"))
    discarded = member_browser.client.post("/drafts/discard", data={
        "csrf_token": csrf_token(page), "draft_key": f"reply:{thread.id}", "back": back})
    assert discarded.status_code == 302
    assert discarded.headers["Location"] == location.format(id=thread.id)
    assert drafts_count() == 0


def test_a_draft_is_never_shown_to_anyone_else(app, member_browser, moderator_browser,
                                               other_member, client, thread):
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    other = Browser(app.test_client())
    other.login(other_member.username)
    for someone in (other, moderator_browser, Browser(client)):
        assert SECRET not in body_of(someone.get(f"/t/{thread.id}"))
    for someone in (other, moderator_browser):
        listed = someone.get("/drafts")
        assert listed.status_code == 200 and SECRET not in body_of(listed)
    anonymous = client.get("/drafts")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    # Nobody else can discard it either: they only ever reach their own drafts.
    page = body_of(other.get("/drafts"))
    other.client.post("/drafts/discard", data={"csrf_token": csrf_token(page),
                                               "draft_key": f"reply:{thread.id}"})
    assert drafts_count() == 1


def test_a_draft_for_a_thread_the_member_cannot_see_is_not_named(member_browser, moderator,
                                                                 thread):
    from forum.domain.moderation import hide_post

    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    hide_post(opening, moderator, "Personal information.")
    db.session.commit()
    assert member_browser.get(f"/t/{thread.id}").status_code == 404
    listed = body_of(member_browser.get("/drafts"))
    assert "Cooling vests in summer" not in listed
    assert SECRET in listed  # the member's own text stays theirs to copy


@pytest.mark.parametrize("fields, key, message", [
    ({"body": "x" * 50_001}, "reply:{id}", "too long"),
    ({"body": "fine"}, "nonsense", "Unknown form"),
])
def test_a_draft_that_cannot_be_kept_is_refused_with_the_text(member_browser, thread, fields,
                                                              key, message):
    refused = save_draft(member_browser, f"/t/{thread.id}", fields, key.format(id=thread.id),
                         headers={"Sec-Fetch-Site": "same-origin"})
    assert refused.status_code == 400
    page = body_of(refused)
    assert message in page and fields["body"][:100] in page
    assert drafts_count() == 0


def test_an_empty_form_keeps_no_draft_and_leaves_an_earlier_one(member_browser, thread):
    saved = save_draft(member_browser, f"/t/{thread.id}", {"body": "  "}, f"reply:{thread.id}")
    assert saved.status_code == 302 and drafts_count() == 0
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    # The box cleared by a slip, then saved in the background: the draft stays.
    cleared = save_draft(member_browser, f"/t/{thread.id}", {"body": ""}, f"reply:{thread.id}",
                         headers={"X-Requested-With": "fetch"})
    assert cleared.status_code == 204
    assert db.session.scalar(select(Draft.body)) == SECRET


def test_saving_a_draft_signed_out_gives_the_text_back(member_browser, member, thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    member_browser.logout()
    refused = member_browser.client.post("/drafts/save", headers={"Sec-Fetch-Site": "same-origin"},
                                         data={"csrf_token": csrf_token(page),
                                               "draft_key": f"reply:{thread.id}",
                                               "body": SECRET})
    assert refused.status_code in (400, 401)  # the sign-out renewed the form's token
    assert f"{SECRET}</textarea>" in body_of(refused)
    assert drafts_count() == 0


def test_draft_text_is_not_logged(member_browser, thread, caplog):
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    member_browser.get("/drafts")
    assert "infusion" not in caplog.text


def test_quoting_a_post_adds_the_quote_to_the_draft_once(member_browser, thread):
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    save_draft(member_browser, f"/t/{thread.id}", {"body": SECRET}, f"reply:{thread.id}")
    page = body_of(member_browser.get(f"/t/{thread.id}?quote={opening.id}"))
    box = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert SECRET in box and "&gt; What helps you?" in box

    # The quote saved into the draft, then the same quote link again: still one quote.
    quoted = "> What helps you?\n>\n> — @sam\n\n" + SECRET
    save_draft(member_browser, f"/t/{thread.id}", {"body": quoted}, f"reply:{thread.id}")
    page = body_of(member_browser.get(f"/t/{thread.id}?quote={opening.id}"))
    box = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box.count("What helps you?") == 1
