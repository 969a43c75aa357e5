"""Watching (issue #13): levels, auto-watch, and who is left out."""

from sqlalchemy import event, select

from forum.domain import moderation, watching
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Notification, WatchLevel, utcnow
from tests.conftest import Browser
from tests.factories import make_category, make_discussion, make_user


def _kinds(user):
    db.session.expire_all()
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_no_row_is_normal_and_starting_or_replying_watches(app, member, other_member):
    thread = make_discussion(member, make_category())
    assert watching.thread_level(member, thread) == WatchLevel.WATCHING
    lee = make_user("lee")
    assert watching.thread_level(lee, thread) == WatchLevel.NORMAL
    add_reply(thread, lee, "Hello")
    assert watching.thread_level(lee, thread) == WatchLevel.WATCHING


def test_an_explicit_level_survives_replying(app, member, other_member):
    thread = make_discussion(member, make_category())
    for level in (WatchLevel.NORMAL, WatchLevel.TRACKING, WatchLevel.MUTED):
        watching.set_thread_level(other_member, thread, level)
        add_reply(thread, other_member, f"Reply while {level}")
        assert watching.thread_level(other_member, thread) == level


def test_expert_reply_tells_the_starter(app, member, expert):
    thread = make_discussion(member, make_category())
    add_reply(thread, expert, "From the research side")
    assert _kinds(member) == ["expert_reply"]


def test_no_notification_about_a_hidden_thread_or_to_a_closed_account(app, member,
                                                                     other_member, moderator):
    from forum.domain.threads import opening_post

    thread = make_discussion(member, make_category())
    moderation.hide_post(opening_post(thread), moderator, "Hidden for now")
    db.session.refresh(thread)
    assert thread.hidden_at is not None
    add_reply(thread, moderator, "Staff note @maria")
    assert _kinds(member) == ["moderation"]  # of the hiding, never of the reply
    other = make_discussion(other_member, make_category("second", "Second"), title="Other")
    member.deleted_at = utcnow()
    db.session.commit()
    add_reply(other, moderator, "Hi @maria")
    assert _kinds(member) == ["moderation"]


def test_moderation_notice_arrives_even_from_a_muted_moderator(app, member, other_member,
                                                               moderator):
    thread = make_discussion(member, make_category())
    post = add_reply(thread, other_member, "Too much")
    watching.mute_member(other_member, moderator)
    moderation.hide_post(post, moderator, "Please keep it kind")
    assert _kinds(other_member) == ["moderation"]


def test_the_bell_is_one_query_whatever_the_list(app, member, other_member):
    category = make_category()
    for n in range(6):
        thread = make_discussion(member, category, title=f"Thread {n}")
        add_reply(thread, other_member, "A reply")
    browser = Browser(app.test_client())
    browser.login(member.username)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = browser.get(f"/c/{category.slug}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert 'aria-label="Notifications: 6 unread"' in page
    assert len([s for s in statements if "FROM notifications" in s]) == 1
