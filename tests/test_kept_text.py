"""Nothing typed is lost: a form sent again with other text, and writes refused after
the form was loaded (signed out elsewhere, thread locked, category archived, member
suspended), all come back with the text."""

import html
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from forum.domain import two_factor
from forum.domain.categories import archive_category
from forum.domain.members import suspend
from forum.domain.moderation import lock_thread
from forum.extensions import db
from forum.models import Post, Thread, User, UserSession, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_category, make_discussion

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(member, other_member, category):
    return make_discussion(other_member, category, title="Cooling vests in summer")


def body_of(response):
    return response.get_data(as_text=True)


def token_on(page, name="submission"):
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', page) or re.search(
        rf'name="{name}" value="([^"]+)"', page)
    return match.group(1)


def posts_with(body):
    return db.session.scalar(select(func.count(Post.id)).where(Post.body_source == body))


# -- 4: the same form sent again -----------------------------------------------------

def test_a_resend_with_other_text_comes_back_as_the_form(member_browser, thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    form = {"csrf_token": csrf_token(page), "submission": token_on(page)}
    first = member_browser.client.post(f"/t/{thread.id}/reply",
                                       data={**form, "body": "My first thought."})
    assert first.status_code == 302

    # Back, a new reply in the same form, Send.
    again = member_browser.client.post(f"/t/{thread.id}/reply",
                                       data={**form, "body": "A second, different thought."})
    page = body_of(again)
    assert again.status_code == 200
    assert "already sent once" in page
    assert "A second, different thought.</textarea>" in page
    assert "Post as a new reply" in page
    fresh = token_on(page)
    assert fresh != form["submission"]
    assert posts_with("My first thought.") == 1
    assert posts_with("A second, different thought.") == 0

    # Posting it as a new reply (the fresh token) stores it.
    posted = member_browser.client.post(f"/t/{thread.id}/reply", data={
        **form, "submission": fresh, "body": "A second, different thought."})
    assert posted.status_code == 302
    assert posts_with("My first thought.") == posts_with("A second, different thought.") == 1


def test_a_resend_with_the_same_text_stays_one_reply(member_browser, thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    form = {"csrf_token": csrf_token(page), "submission": token_on(page),
            "body": "Sent by a double click."}
    first = member_browser.client.post(f"/t/{thread.id}/reply", data=form)
    second = member_browser.client.post(f"/t/{thread.id}/reply", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert posts_with("Sent by a double click.") == 1


@pytest.mark.parametrize("changed", ["title", "body"])
def test_a_discussion_resent_with_other_text_comes_back(member_browser, category, changed):
    page = body_of(member_browser.get("/c/living-with-ms/new"))
    data = {"title": "Heat and fatigue", "body": "Summer is hard.", "tags": "",
            "submission": token_on(page)}
    assert member_browser.submit("/c/living-with-ms/new", data).status_code == 302
    other = {**data, changed: "Something else entirely, for " + changed}
    again = member_browser.submit("/c/living-with-ms/new", other)
    page = body_of(again)
    assert again.status_code == 200 and "already sent once" in page
    assert html.escape(other[changed], quote=True) in page
    assert "Post as a new discussion" in page
    assert db.session.scalar(select(func.count(Thread.id))) == 1

    posted = member_browser.submit("/c/living-with-ms/new",
                                   {**other, "submission": token_on(page)})
    assert posted.status_code == 302
    assert db.session.scalar(select(func.count(Thread.id))) == 2


def test_an_article_resent_with_other_text_comes_back(app, expert, category):
    browser = Browser(app.test_client())
    browser.login(expert.username)
    page = body_of(browser.get("/articles/new"))
    data = {"title": "Vitamin D and relapses", "summary": "What the trials show.",
            "body": "Trials so far are small.", "tags": "", "references": "",
            "disclosure": "None.", "submission": token_on(page)}
    assert browser.submit("/articles/new", data).status_code == 302
    again = browser.submit("/articles/new", {**data, "body": "Trials are now larger."})
    page = body_of(again)
    assert again.status_code == 200 and "already sent once" in page
    assert "Trials are now larger." in page and "Post as a new article" in page
    assert db.session.scalar(select(func.count(Thread.id))) == 1


# -- 5: refused after the form was loaded ---------------------------------------------

def _sign_out_elsewhere_by_password_change(app, member):
    elsewhere = Browser(app.test_client())
    elsewhere.login(member.username)
    changed = elsewhere.submit("/settings", {"current_password": PASSWORD,
                                             "new_password": "another long phrase",
                                             "confirm": "another long phrase"},
                               action="/settings/password")
    assert changed.status_code == 302
    return "another long phrase"


def _sign_out_by_session_age(app, member):
    db.session.execute(update(UserSession).where(UserSession.user_id == member.id)
                       .values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    return PASSWORD


@pytest.mark.parametrize("sign_out", [_sign_out_elsewhere_by_password_change,
                                      _sign_out_by_session_age])
def test_signed_out_meanwhile_the_reply_is_kept_and_back_after_signing_in(
        app, member_browser, member, thread, sign_out):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    form = {"csrf_token": csrf_token(page), "submission": token_on(page),
            "body": "Written slowly on a bad day,\nover an hour."}
    password = sign_out(app, member)

    refused = member_browser.client.post(f"/t/{thread.id}/reply", data=form,
                                         headers=SAME_SITE)
    page = body_of(refused)
    assert refused.status_code == 401
    assert "signed out" in page and "your text is safe" in page
    assert "Written slowly on a bad day,\nover an hour.</textarea>" in page
    assert posts_with(form["body"]) == 0

    # The same page signs them in; they land on the thread with the text in the form.
    action = html.unescape(re.search(r'formaction="(/login[^"]*)"', page).group(1))
    signed_in = member_browser.client.post(action, data={
        "csrf_token": csrf_token(page), "username": member.username, "password": password,
        "kept_text": "1", "draft_key": f"reply:{thread.id}", "body": form["body"],
        "submission": form["submission"]})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == f"/t/{thread.id}#reply"
    back = body_of(member_browser.get(f"/t/{thread.id}"))
    assert "Written slowly on a bad day,\nover an hour.</textarea>" in back
    assert posts_with(form["body"]) == 0


def test_signed_out_by_turning_on_two_step_the_text_survives_the_code(
        app, member_browser, member, thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    form = {"csrf_token": csrf_token(page), "body": "Kept through the second step."}
    secret = two_factor.new_secret()
    two_factor.enable(db.session.get(User, member.id), secret, pyotp.TOTP(secret).now(),
                      PASSWORD)
    db.session.commit()

    refused = member_browser.client.post(f"/t/{thread.id}/reply", data=form,
                                         headers=SAME_SITE)
    page = body_of(refused)
    assert refused.status_code == 401 and "Kept through the second step.</textarea>" in page
    action = html.unescape(re.search(r'formaction="(/login[^"]*)"', page).group(1))
    password_step = member_browser.client.post(action, data={
        "csrf_token": csrf_token(page), "username": member.username, "password": PASSWORD,
        "kept_text": "1", "draft_key": f"reply:{thread.id}", "body": form["body"]})
    assert password_step.status_code == 302 and "/login/code" in password_step.headers["Location"]
    # Only the password so far: nothing is in the account yet.
    assert "Kept through the second step." not in body_of(member_browser.get("/drafts"))

    code_page = member_browser.client.get(password_step.headers["Location"])
    done = member_browser.client.post(password_step.headers["Location"], data={
        "csrf_token": csrf_token(body_of(code_page)),
        "code": pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))})
    assert done.status_code == 302 and done.headers["Location"] == f"/t/{thread.id}#reply"
    back = body_of(member_browser.get(f"/t/{thread.id}"))
    assert "Kept through the second step.</textarea>" in back


def test_an_anonymous_post_without_text_from_this_site_still_goes_to_sign_in(client, thread):
    page = body_of(client.get("/"))
    response = client.post(f"/t/{thread.id}/reply",
                           data={"csrf_token": csrf_token(page), "body": "Hello"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_thread_locked_meanwhile_keeps_the_reply_with_the_reason(
        member_browser, member, moderator, thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    lock_thread(db.session.get(Thread, thread.id), moderator, "Off topic.")
    db.session.commit()
    refused = member_browser.client.post(f"/t/{thread.id}/reply", headers=SAME_SITE, data={
        "csrf_token": csrf_token(page), "submission": token_on(page),
        "body": "What I wanted to add."})
    page = body_of(refused)
    assert refused.status_code == 403
    assert "This thread is locked." in page
    assert "What I wanted to add.</textarea>" in page
    # It is also kept in the member's drafts, which outlive this page.
    assert "your drafts" in page
    assert "What I wanted to add." in body_of(member_browser.get("/drafts"))


def test_a_category_archived_meanwhile_keeps_the_discussion(member_browser, admin, category):
    page = body_of(member_browser.get("/c/living-with-ms/new"))
    archive_category(admin, category, True)
    refused = member_browser.client.post("/c/living-with-ms/new", headers=SAME_SITE, data={
        "csrf_token": csrf_token(page), "submission": token_on(page),
        "title": "Summer heat", "body": "Does anyone use a cooling vest?", "tags": ""})
    page = body_of(refused)
    assert refused.status_code == 403
    assert "archived" in page
    assert 'value="Summer heat"' in page and "Does anyone use a cooling vest?" in page


def test_a_member_suspended_meanwhile_keeps_the_reply(member_browser, member, moderator,
                                                      thread):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    suspend(db.session.get(User, member.id), moderator, utcnow() + timedelta(days=3),
            "Cooling off.")
    refused = member_browser.client.post(f"/t/{thread.id}/reply", headers=SAME_SITE, data={
        "csrf_token": csrf_token(page), "body": "Words written before the suspension."})
    page = body_of(refused)
    assert refused.status_code == 403
    assert "suspended" in page
    assert "Words written before the suspension.</textarea>" in page


def test_an_edit_refused_meanwhile_keeps_its_text(app, member_browser, member, moderator,
                                                  category):
    own = make_discussion(member, category, title="My own thread")
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == own.id))
    page = body_of(member_browser.get(f"/p/{post_id}/edit"))
    lock_thread(db.session.get(Thread, own.id), moderator, "Closed.")
    db.session.commit()
    refused = member_browser.client.post(f"/p/{post_id}/edit", headers=SAME_SITE, data={
        "csrf_token": csrf_token(page), "title": "My own thread",
        "body": "A long correction.", "tags": ""})
    assert refused.status_code == 403
    assert "A long correction.</textarea>" in body_of(refused)


def test_kept_text_is_not_written_to_the_log(member_browser, member, moderator, thread,
                                             caplog):
    page = body_of(member_browser.get(f"/t/{thread.id}"))
    lock_thread(db.session.get(Thread, thread.id), moderator, "Off topic.")
    db.session.commit()
    member_browser.client.post(f"/t/{thread.id}/reply", headers=SAME_SITE, data={
        "csrf_token": csrf_token(page), "body": "My relapse in March, privately."})
    assert "relapse in March" not in caplog.text


def test_a_browser_whose_session_is_gone_gets_the_text_back_after_signing_in(
        app, member, thread):
    """The session cookie itself expired (the browser was closed): the form's token no
    longer matches, and the text still comes back to the form after signing in."""
    browser = Browser(app.test_client())
    refused = browser.client.post(f"/t/{thread.id}/reply", headers=SAME_SITE, data={
        "csrf_token": "from-a-session-that-is-gone", "body": "Typed before lunch."})
    page = body_of(refused)
    assert refused.status_code == 400 and "Typed before lunch.</textarea>" in page
    action = html.unescape(re.search(r'formaction="(/login[^"]*)"', page).group(1))
    signed_in = browser.client.post(action, data={
        "csrf_token": csrf_token(page), "username": member.username, "password": PASSWORD,
        "kept_text": "1", "draft_key": f"reply:{thread.id}", "body": "Typed before lunch."})
    assert signed_in.headers["Location"] == f"/t/{thread.id}#reply"
    assert "Typed before lunch.</textarea>" in body_of(browser.get(f"/t/{thread.id}"))
