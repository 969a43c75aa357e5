"""What withheld content gives away: deleted posts' words, the reason behind a 404,
tags of threads nobody may see, and deleted text kept past its retention."""

import contextlib
import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from forum.config import ConfigError, load_config
from forum.domain import moderation, reports
from forum.domain.accounts import create_user
from forum.domain.posts import add_reply, delete_post, edit_post
from forum.domain.threads import opening_post, start_discussion
from forum.extensions import db
from forum.models import Post, PostRevision, Tag, Thread, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import PASSWORD, make_article, make_category, make_discussion, make_user


def body_of(response):
    return response.get_data(as_text=True)


def newcomer(username="newcomer"):
    """A member whose first posts wait for a moderator."""
    return create_user(username, f"{username}@example.org", PASSWORD, "member",
                       established=False, confirmed=True)


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    browser.get("/")  # shows, and so clears, "You are signed in."
    return browser


@pytest.fixture
def category(app):
    return make_category()


# -- 9: deleted posts show none of their words --------------------------------------

WORDS = ("FIRST-VERSION-WORDS", "SECOND-VERSION-WORDS")


@pytest.fixture
def deleted_reply(member, other_member, moderator, category):
    """maria's reply, edited once, reported by sam, then deleted by maria."""
    thread = make_discussion(other_member, category, title="Talking about relapses")
    reply = add_reply(thread, member, f"{WORDS[0]} about my neighbour")
    edit_post(reply, member, f"{WORDS[1]} about my neighbour")
    reports.flag_post(reply, other_member, "personal-info", "Names a neighbour.")
    delete_post(reply, member)
    return reply


def _shows_no_words(response):
    page = body_of(response)
    return not any(word in page for word in WORDS)


def test_nobody_reads_a_deleted_posts_history_or_edit_page(
        app, deleted_reply, member_browser, moderator_browser):
    for browser in (member_browser, moderator_browser):
        for path in (f"/p/{deleted_reply.id}/history", f"/p/{deleted_reply.id}/edit"):
            response = browser.get(path)
            assert response.status_code == 404, path
            assert _shows_no_words(response), path
            assert "deleted" in body_of(response)  # they may know why


def test_a_deleted_post_shows_only_its_placeholder_to_moderators(
        deleted_reply, moderator_browser, member_browser):
    thread = deleted_reply.thread
    for path in (f"/t/{thread.id}", f"/t/{thread.id}?quote={deleted_reply.id}", "/mod",
                 "/mod/log", "/search?q=neighbour", "/",
                 f"/u/{deleted_reply.author.username}"):
        response = moderator_browser.get(path)
        assert response.status_code == 200, path
        assert _shows_no_words(response), path
    assert "Deleted by the author." in body_of(moderator_browser.get(f"/t/{thread.id}"))
    # The report is still in the queue, without the words.
    assert "Names a neighbour." in body_of(moderator_browser.get("/mod"))
    # Not in the author's own export either: it is deleted for them too.
    export = member_browser.get("/settings/export")
    assert export.status_code == 200 and _shows_no_words(export)
    entry = next(p for p in json.loads(body_of(export))["posts"] if p["id"] == deleted_reply.id)
    assert entry["body"] == "" and entry["deleted"]


def test_a_deleted_articles_summary_and_disclosure_are_not_shown(
        expert, moderator_browser, category):
    article = make_article(expert, category, summary="SUMMARY-WORDS of the article",
                           disclosure="DISCLOSURE-WORDS: paid by a company")
    live = body_of(moderator_browser.get(f"/t/{article.id}"))
    assert "SUMMARY-WORDS" in live and "DISCLOSURE-WORDS" in live and "27145057" in live
    delete_post(opening_post(article), expert)
    page = body_of(moderator_browser.get(f"/t/{article.id}"))
    assert article.title in page and "Deleted by the author." in page
    assert "SUMMARY-WORDS" not in page and "DISCLOSURE-WORDS" not in page
    assert "27145057" not in page and "References" not in page  # nor its references


def _age_deletion(post, days):
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values(deleted_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def _search_rows(post_id):
    query = ("SELECT count(*) FROM search_posts WHERE rowid = :id"
             if db.engine.dialect.name == "sqlite"
             else "SELECT count(*) FROM search_posts WHERE post_id = :id")
    return db.session.scalar(text(query), {"id": post_id})


def test_purge_erases_posts_deleted_longer_ago_than_the_retention(
        app, member, other_member, category):
    thread = make_discussion(other_member, category, title="Purging old deletions")
    old = add_reply(thread, member, "OLD-DELETED-WORDS")
    edit_post(old, member, "OLD-DELETED-WORDS, edited")
    recent = add_reply(thread, member, "RECENT-DELETED-WORDS")
    live = add_reply(thread, member, "LIVE-WORDS stay")
    edit_post(live, member, "LIVE-WORDS stay, edited")
    article = make_article(member, category, summary="ARTICLE-SUMMARY", tags=[])
    delete_post(old, member)
    delete_post(recent, member)
    delete_post(opening_post(article), member)
    _age_deletion(old, 31)
    _age_deletion(recent, 29)
    _age_deletion(opening_post(article), 45)
    # A stale index row (an index rebuilt from a backup, say) goes too.
    db.session.execute(text("INSERT INTO search_posts (rowid, title, body) VALUES (:id, '', 'x')"
                            if db.engine.dialect.name == "sqlite" else
                            "INSERT INTO search_posts (post_id, body) VALUES (:id, 'x')"),
                       {"id": old.id})
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "Erasing deleted posts" in result.output  # the progress bar
    assert "2 deleted posts erased" in result.output
    db.session.expire_all()
    old, recent, live = (db.session.get(Post, p.id) for p in (old, recent, live))
    assert old.body_source == old.body_html == "" and old.deleted_at is not None
    assert _search_rows(old.id) == 0
    assert db.session.scalar(select(func.count()).where(PostRevision.post_id == old.id)) == 0
    assert db.session.get(Thread, article.id).summary == ""
    assert recent.body_source == "RECENT-DELETED-WORDS"
    assert live.body_source == "LIVE-WORDS stay, edited"
    assert db.session.scalar(select(func.count()).where(PostRevision.post_id == live.id)) == 1

    again = app.test_cli_runner().invoke(args=["purge"])
    assert again.exit_code == 0 and "0 deleted posts erased" in again.output

    app.config["DELETED_RETENTION_DAYS"] = 7
    try:
        app.test_cli_runner().invoke(args=["purge"])
    finally:
        app.config["DELETED_RETENTION_DAYS"] = 30
    db.session.expire_all()
    assert db.session.get(Post, recent.id).body_source == ""


def test_deleted_retention_days_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("DELETED_RETENTION_DAYS", raising=False)
    assert load_config(tmp_path)["DELETED_RETENTION_DAYS"] == 30
    monkeypatch.setenv("DELETED_RETENTION_DAYS", "90")
    assert load_config(tmp_path)["DELETED_RETENTION_DAYS"] == 90
    for bad in ("-1", "two weeks", "３"):
        monkeypatch.setenv("DELETED_RETENTION_DAYS", bad)
        with pytest.raises(ConfigError, match="DELETED_RETENTION_DAYS"):
            load_config(tmp_path)


# -- 10: a 404 does not say why to those who may not know ---------------------------

MISSING = 987_654


def _withheld(kind, member, moderator, category):
    """maria's thread or post in the state `kind`; returns (path, path of a missing id)."""
    if kind.endswith("thread"):
        if kind == "held thread":
            author = newcomer("maria_new")
            thread = start_discussion(author, category, "A thread of mine", "Words.", [])
            assert thread.hidden_at is not None
        else:
            author = member
            thread = make_discussion(member, category, title="A thread of mine")
            if kind == "deleted thread":
                delete_post(opening_post(thread), member)
            else:
                moderation.hide_post(opening_post(thread), moderator, "Off topic.")
        return author, f"/t/{thread.id}", f"/t/{MISSING}"
    thread = make_discussion(make_user("host"), category, title="Someone else's thread")
    author = newcomer("maria_new") if kind == "held post" else member
    post = add_reply(thread, author, "My reply.")
    if kind == "deleted post":
        delete_post(post, member)
    elif kind == "hidden post":
        moderation.hide_post(post, moderator, "Off topic.")
    else:
        assert post.is_held
    return author, f"/p/{post.id}", f"/p/{MISSING}"


def _comparable(response, path):
    """The page with what differs between two requests (the path, CSRF tokens) taken out."""
    page = re.sub(r'value="[^"]*"', 'value=""', body_of(response))
    return page.replace(path, "PATH")


STATES = ["deleted thread", "hidden thread", "held thread",
          "deleted post", "hidden post", "held post"]


@pytest.mark.parametrize("kind", STATES)
def test_a_withheld_id_answers_like_a_missing_one(app, kind, member, other_member, moderator,
                                                   category):
    author, path, missing = _withheld(kind, member, moderator, category)
    db.session.commit()
    stranger = signed_in(app, other_member)
    for visitor in (Browser(app.test_client()), stranger):
        for suffix in ("", "/history", "/edit", "/flag", "/latest"):
            if suffix and (suffix == "/latest") != path.startswith("/t/"):
                continue
            withheld = visitor.get(path + suffix)
            nothing = visitor.get(missing + suffix)
            assert withheld.status_code == nothing.status_code == 404, path + suffix
            assert (_comparable(withheld, path + suffix)
                    == _comparable(nothing, missing + suffix)), path + suffix
            assert "deleted" not in body_of(withheld)
            assert "not available" not in body_of(withheld)

    # The author and the moderators still learn what happened.
    owner, mod = signed_in(app, author), signed_in(app, moderator)
    for browser in (owner, mod):
        response = browser.get(path, follow_redirects=True)
        page = body_of(response)
        if kind.startswith("deleted") and browser is owner:
            assert response.status_code == 404
            assert ("This thread was deleted." if kind.endswith("thread")
                    else "This post was deleted.") in page
        else:
            assert response.status_code == 200
            assert {"deleted": "Deleted by the author.", "hidden": "Hidden by a moderator",
                    "held": "Awaiting review"}[kind.split()[0]] in page


# -- 11: a tag exists only while a visible thread carries it -------------------------

@pytest.mark.parametrize("state", ["hidden", "held", "deleted"])
def test_a_tag_used_only_by_withheld_threads_is_not_found(app, client, state, member,
                                                         other_member, moderator, category):
    make_discussion(member, category, title="A public thread", tags=["public-tag"])
    if state == "held":
        start_discussion(newcomer(), category, "Held one", "Words.", ["secret-tag"])
    else:
        thread = make_discussion(member, category, title="Withheld one", tags=["secret-tag"])
        if state == "hidden":
            moderation.hide_post(opening_post(thread), moderator, "Off topic.")
        else:
            delete_post(opening_post(thread), member)
    db.session.commit()
    stranger = signed_in(app, other_member)
    for visitor in (client, stranger):
        for path in ("/tag/secret-tag", "/tag/secret-tag/feed.atom", "/tag/SECRET-TAG"):
            response = visitor.get(path)
            nothing = visitor.get(path.replace("secret-tag", "no-such-tag")
                                  .replace("SECRET-TAG", "NO-SUCH-TAG"))
            assert response.status_code == nothing.status_code == 404, path
            assert _comparable(response, path) == _comparable(nothing, nothing.request.path)
        assert visitor.get("/tag/public-tag").status_code == 200
        assert visitor.get("/tag/public-tag/feed.atom").status_code == 200
        for path in ("/", f"/c/{category.slug}", "/search?q=held+withheld", "/tag/public-tag"):
            assert "secret-tag" not in body_of(visitor.get(path)), path


def test_a_tag_comes_back_when_its_thread_is_shown_again(client, member, moderator, category):
    thread = make_discussion(member, category, title="Hidden for a while", tags=["returns"])
    moderation.hide_post(opening_post(thread), moderator, "Checking.")
    assert client.get("/tag/returns").status_code == 404
    moderation.restore_post(opening_post(thread), moderator)
    assert client.get("/tag/returns").status_code == 200
    assert "Hidden for a while" in body_of(client.get("/tag/returns"))


# -- 24: two people creating the same new tag at once --------------------------------

def test_two_people_creating_the_same_new_tag_at_once_both_succeed(
        app, member, other_member, category):
    """Both requests look the tag up, find nothing, and only then insert it: the
    listener holds each request at its INSERT INTO tags until both have got there
    (on Postgres; SQLite serialises writers from BEGIN IMMEDIATE, so there the second
    waits for the first and the race cannot happen)."""
    new_thread = f"/c/{category.slug}/new"
    browsers = []
    for user in (member, other_member):
        browser = signed_in(app, user)
        page = body_of(browser.get(new_thread))
        submission = re.search(r'name="submission"[^>]*value="([^"]+)"', page)
        browsers.append((browser, csrf_token(page), submission.group(1) if submission else ""))
    db.session.commit()

    racing = db.engine.dialect.name == "postgresql"
    both_there = threading.Barrier(2, timeout=20)

    def hold_at_insert(conn, cursor, statement, *args):
        if racing and statement.lstrip().upper().startswith("INSERT INTO TAGS"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_there.wait()

    statuses = {}

    def start(n):
        browser, token, submission = browsers[n]
        with app.app_context():
            response = browser.client.post(new_thread, data={
                "csrf_token": token, "submission": submission,
                "title": f"Cooling vests, question {n}", "body": "Which one works?",
                "tags": "brand-new-tag"})
            statuses[n] = response.status_code

    event.listen(db.engine, "before_cursor_execute", hold_at_insert)
    try:
        workers = [threading.Thread(target=start, args=(n,)) for n in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold_at_insert)

    assert statuses == {0: 302, 1: 302}
    db.session.commit()
    tags = db.session.scalars(select(Tag).where(Tag.name == "brand-new-tag")).all()
    assert len(tags) == 1
    threads = db.session.scalars(select(Thread).where(Thread.tags.any(Tag.id == tags[0].id)))
    assert len(threads.all()) == 2
