"""Reviewed articles: publishing starts the review dates, an expert marks an article
reviewed (logged), a typo edit leaves the dates alone, and /articles/review lists what
is overdue and what is due soon. Disclosures are required."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import ArticleReview, ModerationEvent, Thread, utcnow
from tests.conftest import Browser
from tests.factories import make_article, make_category, make_user


@pytest.fixture
def research(app):
    return make_category("research-news", "Research news")


def signed_in(app, username):
    browser = Browser(app.test_client())
    browser.login(username)
    return browser


def page(response):
    return response.get_data(as_text=True)


def age(thread, days):
    """Move an article's review dates back `days`, as if time had passed."""
    thread.reviewed_at -= timedelta(days=days)
    thread.review_due_at -= timedelta(days=days)
    db.session.commit()


def test_publishing_records_a_review_by_the_expert_author(app, research, expert):
    article = make_article(expert, research)
    review = db.session.scalar(select(ArticleReview).where(ArticleReview.thread_id == article.id))
    assert review.reviewer_id == expert.id
    assert article.reviewed_at == review.reviewed_at
    assert (article.review_due_at - article.reviewed_at) == timedelta(
        days=app.config["REVIEW_INTERVAL_DAYS"])
    body = page(app.test_client().get(f"/t/{article.id}"))
    assert "Page last reviewed:" in body and "(by dr_nair)" in body
    assert "Next review due:" in body and "Due for review." not in body


def test_a_moderators_article_starts_its_dates_without_a_reviewer(app, research, moderator):
    article = make_article(moderator, research)
    review = db.session.scalar(select(ArticleReview).where(ArticleReview.thread_id == article.id))
    assert review.reviewer_id is None and article.review_due_at is not None
    body = page(app.test_client().get(f"/t/{article.id}"))
    assert "Page last reviewed:" in body and "(by " not in body


def test_past_its_due_date_the_article_says_so_and_is_listed_first(app, research, expert):
    old = make_article(expert, research, title="An older article on vitamin D")
    soon = make_article(expert, research, title="A fairly recent one on sleep")
    fresh = make_article(expert, research, title="A brand new one on heat")
    age(old, app.config["REVIEW_INTERVAL_DAYS"] + 10)
    age(soon, app.config["REVIEW_INTERVAL_DAYS"] - 30)
    assert "Due for review." in page(app.test_client().get(f"/t/{old.id}"))

    listing = page(signed_in(app, "dr_nair").get("/articles/review"))
    overdue, _sep, rest = listing.partition('id="soon-heading"')
    assert old.title in overdue and soon.title not in overdue
    assert soon.title in rest and fresh.title not in listing


def test_an_expert_marks_an_article_reviewed_and_it_is_logged(app, research, expert):
    article = make_article(expert, research)
    age(article, app.config["REVIEW_INTERVAL_DAYS"] + 1)
    make_user("prof_b", role="expert")
    reviewer = signed_in(app, "prof_b")
    response = reviewer.submit("/articles/review", {"note": "Checked against the 2024 trials."},
                               action=f"/t/{article.id}/reviewed")
    assert response.status_code == 302
    db.session.expire_all()
    thread = db.session.get(Thread, article.id)
    assert thread.review_due_at > utcnow() + timedelta(days=365)
    body = page(app.test_client().get(f"/t/{article.id}"))
    assert "(by prof_b)" in body and "Due for review." not in body
    event = db.session.scalar(select(ModerationEvent).where(ModerationEvent.action == "review"))
    assert event.thread_id == article.id and event.reason == "Checked against the 2024 trials."
    make_user("mod_jo", role="moderator")
    assert "article reviewed" in page(signed_in(app, "mod_jo").get("/mod/log"))


def test_a_typo_edit_keeps_the_review_dates(app, research, expert):
    article = make_article(expert, research)
    age(article, 100)
    before = (article.reviewed_at, article.review_due_at)
    author = signed_in(app, "dr_nair")
    opening = article.id
    edit = page(author.get(f"/t/{opening}"))
    post_id = int(edit.split('id="p', 1)[1].split('"', 1)[0])
    response = author.submit(f"/p/{post_id}/edit", {
        "title": article.title, "summary": article.summary, "tags": "researchspeak",
        "body": "## Background\n\nAssociation is not causation (typo fixed).",
        "references": "Glenn JD, Mowry EM. J Interferon Cytokine Res. 2016. "
                      "doi:10.1089/jir.2015.0177",
        "disclosure": article.disclosure})
    assert response.status_code == 302, page(response)
    db.session.expire_all()
    thread = db.session.get(Thread, article.id)
    assert (thread.reviewed_at, thread.review_due_at) == before
    assert db.session.query(ArticleReview).count() == 1


@pytest.mark.parametrize("who", ["member", "anonymous"])
def test_members_cannot_review(app, research, expert, member, who):
    article = make_article(expert, research)
    due = article.review_due_at
    client = signed_in(app, "maria").client if who == "member" else app.test_client()
    listing = client.get("/articles/review")
    assert listing.status_code == (403 if who == "member" else 302)
    token_page = signed_in(app, "maria").get("/")
    from tests.conftest import csrf_token
    response = client.post(f"/t/{article.id}/reviewed",
                           data={"csrf_token": csrf_token(page(token_page))})
    assert response.status_code in ((403, 400) if who == "member" else (302, 400))
    db.session.expire_all()
    assert db.session.get(Thread, article.id).review_due_at == due


def test_a_discussion_cannot_be_marked_reviewed(app, research, expert, member):
    from tests.factories import make_discussion
    discussion = make_discussion(member, research)
    reviewer = signed_in(app, "dr_nair")
    response = reviewer.submit("/articles/review", {}, action=f"/t/{discussion.id}/reviewed")
    assert response.status_code == 404


def test_a_long_note_is_refused_and_kept(app, research, expert):
    article = make_article(expert, research)
    age(article, app.config["REVIEW_INTERVAL_DAYS"])
    response = signed_in(app, "dr_nair").submit(
        "/articles/review", {"note": "checked " * 200}, action=f"/t/{article.id}/reviewed")
    assert response.status_code == 400
    assert "checked checked" in page(response)
    assert db.session.query(ArticleReview).count() == 1


def test_an_article_needs_a_disclosure(app, research, expert):
    author = signed_in(app, "dr_nair")
    response = author.submit("/articles/new", {
        "title": "Exercise and fatigue", "summary": "What the trials say about exercise.",
        "body": "Short version: it helps many people.", "tags": "fatigue",
        "references": "", "disclosure": "   "})
    assert response.status_code == 200
    body = page(response)
    assert "Please write a disclosure" in body and "Exercise and fatigue" in body
    assert "What the trials say about exercise." in body
    assert db.session.query(Thread).count() == 0
    response = author.submit("/articles/new", {
        "title": "Exercise and fatigue", "summary": "What the trials say about exercise.",
        "body": "Short version: it helps many people.", "tags": "fatigue",
        "references": "", "disclosure": "None"})
    assert response.status_code == 302
    article = db.session.scalar(select(Thread))
    shown = page(app.test_client().get(f"/t/{article.id}"))
    assert "About the author" in shown and "<p class=\"disclosure\">None</p>" in shown


def test_an_article_cannot_be_edited_to_an_empty_disclosure(app, research, expert):
    article = make_article(expert, research)
    author = signed_in(app, "dr_nair")
    post_id = int(page(author.get(f"/t/{article.id}")).split('id="p', 1)[1].split('"', 1)[0])
    response = author.submit(f"/p/{post_id}/edit", {
        "title": article.title, "summary": article.summary, "tags": "researchspeak",
        "body": "Changed body", "references": "", "disclosure": ""})
    assert response.status_code == 200
    assert "Please write a disclosure" in page(response) and "Changed body" in page(response)
    db.session.expire_all()
    assert db.session.get(Thread, article.id).disclosure == "No conflicts to declare."
