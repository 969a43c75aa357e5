"""A thread's counts, last activity and existence follow its public posts, whatever
moderators and authors do, as visitors see them on category and thread pages."""

import re
from datetime import datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from forum import create_app
from forum.extensions import db
from forum.models import Post, Thread, utcnow
from tests.conftest import Browser
from tests.factories import make_category, make_discussion, make_user
from tests.test_migrations import empty_postgres  # noqa: F401 (a fixture)

SLUG = "living-with-ms"


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def newcomer(app):
    """A confirmed account whose first posts wait for a moderator."""
    user = make_user("new_here")
    user.established_at = None
    db.session.commit()
    return user


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def html(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def listed(client, title):
    """(replies, last activity) in the category list's row for `title`."""
    rows = html(client, f"/c/{SLUG}").split('<li class="thread-row">')
    row = next(row for row in rows if f">{title}</a>" in row)
    count = int(re.search(r"<span>(-?\d+) repl(?:y|ies)</span>", row).group(1))
    when = re.search(r'last activity <time datetime="([^"]+)"', row).group(1)
    return count, datetime.fromisoformat(when)


def shown(client, thread_id):
    """(the heading's count, the replies on the page) of a thread page."""
    page = html(client, f"/t/{thread_id}")
    count = int(re.search(r'<h2 id="replies-heading">(-?\d+) ', page).group(1))
    return count, page.count('<article class="post" ')  # not the deleted placeholders


def reply(browser, thread_id, body):
    response = browser.submit(f"/t/{thread_id}", {"body": body},
                              action=f"/t/{thread_id}/reply")
    assert response.status_code == 302
    return db.session.scalar(select(Post).where(Post.body_source == body))


def moderate(browser, post, action, reason="Not for this forum."):
    url = f"/mod/held/{post.id}/{action}" if action in ("approve", "reject") \
        else f"/p/{post.id}/{action}"
    response = browser.submit("/mod", {"reason": reason}, action=url)
    assert response.status_code == 302, response.get_data(as_text=True)


def assert_counts(client, thread, expected):
    assert shown(client, thread.id) == (expected, expected)
    assert listed(client, thread.title)[0] == expected


def close_to(when: datetime, expected: datetime) -> bool:
    # Pages print machine-readable times to the second (HTML's <time datetime>).
    return when == expected.replace(microsecond=0)


# -- counts --------------------------------------------------------------------

def test_counts_follow_every_change_and_never_go_negative(
        app, client, member, other_member, moderator_browser, newcomer, category):
    thread = make_discussion(member, category, title="Cooling vests in summer")
    db.session.commit()
    newcomer_browser = signed_in(app, newcomer)

    first = reply(newcomer_browser, thread.id, "My first post here")
    assert first.is_held
    assert_counts(client, thread, 0)  # not "-1 replies"
    moderate(moderator_browser, first, "hide")
    moderate(moderator_browser, first, "restore")
    assert_counts(client, thread, 0)
    moderate(moderator_browser, first, "approve")
    assert_counts(client, thread, 1)

    second = reply(newcomer_browser, thread.id, "My second post here")
    assert second.is_held
    assert_counts(client, thread, 1)
    moderate(moderator_browser, second, "reject")
    assert_counts(client, thread, 1)

    others = reply(signed_in(app, other_member), thread.id, "An established member's reply")
    assert_counts(client, thread, 2)
    moderate(moderator_browser, others, "hide")
    assert_counts(client, thread, 1)
    moderate(moderator_browser, others, "restore")
    assert_counts(client, thread, 2)
    moderate(moderator_browser, others, "delete")
    assert_counts(client, thread, 1)
    moderate(moderator_browser, first, "hide")
    moderate(moderator_browser, first, "delete")
    assert_counts(client, thread, 0)
    assert db.session.get(Thread, thread.id).reply_count == 0


def test_a_held_reply_deleted_by_its_author_leaves_the_count_alone(
        app, client, member, newcomer, category):
    thread = make_discussion(member, category, title="Sleep and spasticity", replies=1)
    db.session.commit()
    browser = signed_in(app, newcomer)
    held = reply(browser, thread.id, "Waiting for a moderator")
    browser.submit(f"/t/{thread.id}", {}, action=f"/p/{held.id}/delete")
    assert_counts(client, thread, 1)


# -- deleting an opening post ----------------------------------------------------

def test_an_author_cannot_delete_an_opening_post_others_replied_to(
        app, client, member, member_browser, moderator_browser, newcomer, category):
    """The attack: the held reply made the count wrong, approval left it at 0, and the
    author then deleted the opening post and with it every reply, for everyone."""
    thread = make_discussion(member, category, title="Does anyone else feel judged?")
    db.session.commit()
    answer = reply(signed_in(app, newcomer), thread.id, "Yes, at work, all the time")
    moderate(moderator_browser, answer, "approve")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))

    page = html(member_browser, f"/t/{thread.id}")
    assert f'action="/p/{opening.id}/delete"' not in page
    response = member_browser.submit(f"/t/{thread.id}", {}, action=f"/p/{opening.id}/delete")
    assert response.status_code == 403
    assert "others have replied" in response.get_data(as_text=True)
    assert db.session.get(Post, opening.id).deleted_at is None
    assert "Yes, at work, all the time" in html(client, f"/p/{answer.id}")
    assert_counts(client, thread, 1)


def test_a_moderator_removing_an_opening_post_keeps_the_replies(
        app, client, member, other_member, moderator_browser, category):
    thread = make_discussion(member, category, title="A cure they sell abroad", replies=2,
                             repliers=[other_member])
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))
    replies = db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                    Post.is_opening.is_(False))).all()
    moderate(moderator_browser, opening, "delete")

    page = html(client, f"/t/{thread.id}")
    assert "Removed by a moderator." in page and "Reply number 2" in page
    for post in replies:
        assert client.get(f"/p/{post.id}").status_code == 302
    assert_counts(client, thread, 2)
    assert "A cure they sell abroad" in html(client, f"/c/{SLUG}")


def test_a_thread_goes_with_its_opening_post_only_while_no_public_reply_is_left(
        app, client, member, member_browser, moderator_browser, newcomer, category):
    thread = make_discussion(member, category, title="Quiet thread")
    db.session.commit()
    held = reply(signed_in(app, newcomer), thread.id, "Still waiting for approval")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))
    # Only a reply nobody can see yet: the author may delete, and the thread goes.
    assert member_browser.submit(f"/t/{thread.id}", {},
                                 action=f"/p/{opening.id}/delete").status_code == 302
    assert client.get(f"/t/{thread.id}").status_code == 404
    assert "Quiet thread" not in html(client, f"/c/{SLUG}")
    # Approving the reply brings the conversation back, under a placeholder.
    moderate(moderator_browser, held, "approve")
    page = html(client, f"/t/{thread.id}")
    assert "Deleted by the author." in page and "Still waiting for approval" in page
    assert_counts(client, thread, 1)


# -- last activity -----------------------------------------------------------------

def test_last_activity_follows_public_posts_only(
        app, client, member, other_member, moderator_browser, newcomer, category):
    thread = make_discussion(member, category, title="Heat and symptoms", replies=2,
                             repliers=[other_member])
    first, second = db.session.scalars(select(Post).where(
        Post.thread_id == thread.id, Post.is_opening.is_(False)).order_by(Post.id)).all()
    first_at, second_at = first.created_at, second.created_at

    held = reply(signed_in(app, newcomer), thread.id, "A newcomer's held reply")
    assert close_to(listed(client, thread.title)[1], second_at)
    moderate(moderator_browser, second, "hide")
    assert close_to(listed(client, thread.title)[1], first_at)
    moderate(moderator_browser, second, "restore")
    assert close_to(listed(client, thread.title)[1], second_at)
    moderate(moderator_browser, second, "hide")
    moderate(moderator_browser, first, "delete")
    # Nothing public but the opening post: the thread is as old as that.
    assert close_to(listed(client, thread.title)[1], thread.created_at)
    moderate(moderator_browser, held, "reject")
    assert close_to(listed(client, thread.title)[1], thread.created_at)


def test_approving_a_held_reply_makes_it_the_last_activity(
        app, client, member, moderator_browser, newcomer, category):
    thread = make_discussion(member, category, title="Walking aids")
    db.session.commit()
    held = reply(signed_in(app, newcomer), thread.id, "I use a stick on bad days")
    assert close_to(listed(client, thread.title)[1], thread.created_at)
    moderate(moderator_browser, held, "approve")
    assert close_to(listed(client, thread.title)[1], held.created_at)


# -- holding new members' first posts ---------------------------------------------------

def start(browser, title):
    response = browser.submit(f"/c/{SLUG}/new", {"title": title, "body": f"About {title}"})
    assert response.status_code == 302
    return db.session.scalar(select(Post).join(Post.thread).where(Thread.title == title))


def test_hold_first_posts_1_holds_the_first_post(app, client, moderator_browser, newcomer,
                                                 category, monkeypatch):
    monkeypatch.setitem(app.config, "HOLD_FIRST_POSTS", 1)
    browser = signed_in(app, newcomer)
    first = start(browser, "My very first thread")
    assert first.is_held
    assert client.get(f"/t/{first.thread_id}").status_code == 404
    moderate(moderator_browser, first, "approve")
    assert not reply(browser, first.thread_id, "And now I post freely").is_held


def test_hold_first_posts_2_holds_two_and_a_rejection_releases_nothing(
        app, client, member, moderator_browser, newcomer, category, monkeypatch):
    monkeypatch.setitem(app.config, "HOLD_FIRST_POSTS", 2)
    thread = make_discussion(member, category, title="Introduce yourself")
    db.session.commit()
    browser = signed_in(app, newcomer)

    rejected = reply(browser, thread.id, "Buy my supplements")
    assert rejected.is_held
    moderate(moderator_browser, rejected, "reject")
    one = reply(browser, thread.id, "Sorry, hello properly")
    two = reply(browser, thread.id, "Diagnosed last spring")
    assert one.is_held and two.is_held
    moderate(moderator_browser, one, "approve")
    three = reply(browser, thread.id, "Still finding my feet")
    assert three.is_held  # only one approved so far
    moderate(moderator_browser, two, "approve")
    assert not reply(browser, thread.id, "Thanks for having me").is_held
    assert_counts(client, thread, 3)


# -- repairing -----------------------------------------------------------------------

CORRUPT = ("UPDATE threads SET reply_count = -3, last_activity_at = :future, "
           "hidden_at = :future, deleted_at = :future WHERE id = :id")


def test_recount_repairs_a_corrupted_thread(app, client, member, other_member, category):
    thread = make_discussion(member, category, title="Numbers gone wrong", replies=2,
                             repliers=[other_member])
    healthy = make_discussion(member, category, title="Numbers all right", replies=1)
    newest = max(db.session.scalars(select(Post.created_at).where(Post.thread_id == thread.id)))
    db.session.execute(text(CORRUPT), {"id": thread.id, "future": utcnow() + timedelta(days=9)})
    db.session.commit()
    assert client.get(f"/t/{thread.id}").status_code == 404

    result = app.test_cli_runner().invoke(args=["recount"])
    assert result.exit_code == 0, result.output
    assert "2 threads recounted, 1 corrected." in result.output
    assert_counts(client, thread, 2)
    assert close_to(listed(client, thread.title)[1], newest)
    assert_counts(client, healthy, 1)
    again = app.test_cli_runner().invoke(args=["recount"])
    assert "0 corrected" in again.output


def test_the_demo_shows_each_threads_public_replies(app, client):
    assert app.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
    public = dict(db.session.execute(text(
        "SELECT t.id, (SELECT count(*) FROM posts p WHERE p.thread_id = t.id"
        " AND NOT p.is_opening AND p.deleted_at IS NULL AND p.hidden_at IS NULL"
        " AND p.held_at IS NULL) FROM threads t")).all())
    assert public and any(db.session.scalars(select(Post.held_at)))  # the newcomer's
    for thread_id, count in public.items():
        assert shown(client, thread_id)[0] == count, thread_id


MIGRATION_WARNINGS = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")


RECOUNT = "af7a04761aab"


def _migrated_and_repaired(url):
    """An existing database at the revision before the recount, with a broken thread,
    upgraded to head."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        # The rows are written by the factories at head (the models match only head's
        # schema), then the schema goes back to the revision just before the recount,
        # where the thread is broken as an old bug left it, and forward again.
        config = app.extensions["migrate"].migrate.get_config()
        upgrade()
        author, replier = make_user("early_member"), make_user("early_replier")
        thread = make_discussion(author, make_category(), replies=2, repliers=[replier])
        thread_id = thread.id
        db.session.commit()
        db.session.remove()
        downgrade(revision=ScriptDirectory.from_config(config).get_revision(RECOUNT)
                  .down_revision)
        db.session.execute(text(CORRUPT), {"id": thread_id,
                                           "future": utcnow() + timedelta(days=9)})
        db.session.commit()
        upgrade()
        db.session.expire_all()
        thread = db.session.get(Thread, thread_id)
        newest = max(db.session.scalars(select(Post.created_at)
                                        .where(Post.thread_id == thread_id)))
        facts = (thread.reply_count, thread.last_activity_at == newest, thread.hidden_at,
                 thread.deleted_at)
        db.session.remove()
        db.engine.dispose()
    return facts


@MIGRATION_WARNINGS
def test_the_migration_repairs_an_existing_sqlite_database(tmp_path):
    assert _migrated_and_repaired(f"sqlite:///{tmp_path / 'old.db'}") == (2, True, None, None)


@MIGRATION_WARNINGS
def test_the_migration_repairs_an_existing_postgres_database(empty_postgres):  # noqa: F811
    assert _migrated_and_repaired(empty_postgres) == (2, True, None, None)
