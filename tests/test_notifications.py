"""Notifications (issue #13): who is told what, once; the bell, the page, the feed."""

import re

from sqlalchemy import event, select, update

from forum.domain import helpful, members, moderation, profiles, watching
from forum.domain.accounts import create_user
from forum.domain.posts import add_reply
from forum.extensions import db
from forum.models import Notification, User, WatchLevel, utcnow
from tests.conftest import Browser
from tests.factories import PASSWORD, make_category, make_discussion, make_user


def _notes(user):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def _signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def test_watcher_is_told_of_a_reply_and_never_of_their_own(app, member, other_member):
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "Rest helps me.")
    notes = _notes(member)
    assert [(n.kind, n.actor_id) for n in notes] == [("reply", other_member.id)]
    # The replier now watches, but is not told of their own reply.
    assert _notes(other_member) == []
    add_reply(thread, member, "Thanks!")
    assert [n.kind for n in _notes(other_member)] == ["reply"]
    assert len(_notes(member)) == 1


def test_a_closed_accounts_reply_is_from_a_former_member_in_the_readers_language(
        app, member, other_member):
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "Rest helps me.")
    db.session.execute(update(User).where(User.id == other_member.id).values(
        deleted_at=utcnow()))
    browser = _signed_in(app, member)
    english = browser.get("/notifications").get_data(as_text=True)
    assert "a former member replied in Tips for fatigue" in english
    spanish = browser.get("/notifications", headers={"Accept-Language": "es"})
    assert "un antiguo miembro" in spanish.get_data(as_text=True)


def test_replies_collapse_while_unread_and_a_new_row_once_read(app, member, other_member):
    third = make_user("lee")
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "One")
    add_reply(thread, third, "Two")
    notes = _notes(member)
    assert len(notes) == 1 and notes[0].count == 2
    browser = _signed_in(app, member)
    page = browser.get("/notifications").get_data(as_text=True)
    assert "2 new replies in Tips for fatigue on bad days" in page
    assert "New" in page
    browser.get(f"/notifications/{notes[0].id}")
    add_reply(thread, other_member, "Three")
    notes = _notes(member)
    assert len(notes) == 2 and notes[0].read_at is not None and notes[1].count == 1


def test_mention_and_quote_win_over_reply_one_per_member(app, member, other_member):
    lee = make_user("lee")
    thread = make_discussion(member, make_category())
    add_reply(thread, lee, "Hello")
    add_reply(thread, other_member, "> Hello\n>\n> — @lee\n\nAgreed, @maria and @nobody_here.")
    kinds = {n.kind for n in _notes(member)}
    assert "mention" in kinds
    assert [n.kind for n in _notes(lee) if n.post_id != thread.id][-1] == "reply_to_you"
    # One notification for the event per member.
    event_rows = [n for n in _notes(lee) if n.event.startswith("post:")]
    assert len({n.event for n in event_rows}) == len(event_rows)


def test_mention_of_a_stranger_needs_no_watch_but_respects_mutes(app, member, other_member):
    lee = make_user("lee")
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "Ask @lee about it")
    assert [n.kind for n in _notes(lee)] == ["mention"]
    watching.mute_member(lee, other_member)
    add_reply(thread, other_member, "Again @lee")
    assert len(_notes(lee)) == 1


def test_muted_thread_and_muted_category_stay_silent(app, member, other_member):
    category = make_category()
    thread = make_discussion(member, category)
    watching.set_thread_level(member, thread, WatchLevel.MUTED)
    add_reply(thread, other_member, "Hi @maria")
    assert _notes(member) == []
    lee = make_user("lee")
    other = make_discussion(lee, category, title="Another thread")
    watching.set_category_level(member, category, WatchLevel.MUTED)
    add_reply(other, other_member, "Hey @maria")
    assert _notes(member) == []
    # Unless they explicitly watch the thread.
    watching.set_thread_level(member, other, WatchLevel.WATCHING)
    add_reply(other, other_member, "Hey again @maria")
    assert len(_notes(member)) == 1


def test_tracking_hears_only_mentions_and_quotes(app, member, other_member):
    thread = make_discussion(member, make_category())
    watching.set_thread_level(member, thread, WatchLevel.TRACKING)
    add_reply(thread, other_member, "Plain reply")
    assert _notes(member) == []
    add_reply(thread, other_member, "Now with @maria")
    assert [n.kind for n in _notes(member)] == ["mention"]


def test_category_watch_hears_of_new_threads_and_watches_them(app, member, other_member):
    category = make_category()
    watching.set_category_level(member, category, WatchLevel.WATCHING)
    thread = make_discussion(other_member, category)
    assert [n.kind for n in _notes(member)] == ["reply"]
    assert watching.thread_level(member, thread) == WatchLevel.WATCHING


def test_held_post_notifies_only_once_approved(app, member, moderator):
    newcomer = create_user("newbie", "newbie@example.org", PASSWORD, "member",
                           established=False, confirmed=True)
    thread = make_discussion(member, make_category())
    post = add_reply(thread, newcomer, "My first post, hi @maria")
    assert post.held_at is not None
    assert _notes(member) == []
    moderation.approve_post(post, moderator)
    assert {n.kind for n in _notes(member)} == {"mention"}


def test_hidden_after_creation_is_not_shown_nor_counted(app, member, other_member, moderator):
    thread = make_discussion(member, make_category())
    post = add_reply(thread, other_member, "Soon hidden")
    browser = _signed_in(app, member)
    assert 'aria-label="Notifications: 1 unread"' in browser.get("/").get_data(as_text=True)
    moderation.hide_post(post, moderator, "Off topic")
    home = browser.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications: 0 unread"' in home
    assert "Soon hidden" not in browser.get("/notifications").get_data(as_text=True)
    assert "replied in" not in browser.get("/notifications").get_data(as_text=True)
    # The author hears of the moderation, with the reason.
    page = _signed_in(app, other_member).get("/notifications").get_data(as_text=True)
    assert "Off topic" in page


def test_answer_notifies_the_replier_not_the_chooser(app, member, other_member):
    thread = make_discussion(member, make_category())
    post = add_reply(thread, other_member, "Try cooling vests")
    helpful.mark_answer(post, member)
    assert "answer" in {n.kind for n in _notes(other_member)}
    assert "answer" not in {n.kind for n in _notes(member)}


def test_an_answer_marked_by_someone_the_replier_muted_tells_them_nothing(app, member,
                                                                         other_member):
    thread = make_discussion(member, make_category())
    post = add_reply(thread, other_member, "Try cooling vests")
    watching.mute_member(other_member, member)
    db.session.commit()
    helpful.mark_answer(post, member)
    assert "answer" not in {n.kind for n in _notes(other_member)}


def _statements_for_reply(thread, author):
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        add_reply(thread, author, "A reply for everyone")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_fan_out_costs_the_same_for_3_or_30_watchers(app, member, other_member):
    category = make_category()
    small = make_discussion(member, category, title="Small")
    big = make_discussion(member, category, title="Big")
    for n in range(30):
        user = make_user(f"watcher{n}")
        watching.set_thread_level(user, big, WatchLevel.WATCHING)
        if n < 3:
            watching.set_thread_level(user, small, WatchLevel.WATCHING)
    assert _statements_for_reply(small, other_member) == _statements_for_reply(big, other_member)
    assert len(db.session.scalars(select(Notification).where(
        Notification.thread_id == big.id)).all()) == 31


def test_pages_need_an_account_and_csrf(app, client, member):
    assert client.get("/notifications").status_code == 302
    assert "/login" in client.get("/notifications").headers["Location"]
    browser = _signed_in(app, member)
    assert browser.client.post("/notifications/read-all").status_code == 400
    assert browser.submit("/notifications", {}, action="/notifications/read-all") \
        .status_code == 302


def test_mark_all_read_and_reading_the_thread_clear_the_bell(app, member, other_member):
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "One")
    browser = _signed_in(app, member)
    browser.get(f"/t/{thread.id}")
    assert all(n.read_at for n in _notes(member))
    add_reply(thread, other_member, "Two")
    browser.submit("/notifications", {}, action="/notifications/read-all")
    assert all(n.read_at for n in _notes(member))


def test_feed_with_a_good_and_a_tampered_token(app, client, member, other_member):
    thread = make_discussion(member, make_category())
    add_reply(thread, other_member, "Secret words of the reply")
    browser = _signed_in(app, member)
    page = browser.get("/settings/notifications").get_data(as_text=True)
    path = re.search(r"http://[^/]+(/notifications/feed/[^<]+\.atom)", page).group(1)
    feed = client.get(path)
    assert feed.status_code == 200
    body = feed.get_data(as_text=True)
    assert "replied in Tips for fatigue" in body and "Secret words" not in body
    assert client.get(path.replace(".atom", "x.atom")).status_code == 404


def test_a_feed_address_is_retired_by_a_new_password_or_a_ban(app, client, member, admin):
    browser = _signed_in(app, member)
    page = browser.get("/settings/notifications").get_data(as_text=True)
    path = re.search(r"http://[^/]+(/notifications/feed/[^<]+\.atom)", page).group(1)
    assert client.get(path).status_code == 200
    profiles.change_password(member, PASSWORD, "a brand new long passphrase")
    db.session.commit()
    assert client.get(path).status_code == 404
    browser = Browser(app.test_client())  # the new password signed the old browser out
    browser.login(member.username, "a brand new long passphrase")
    page = browser.get("/settings/notifications").get_data(as_text=True)
    renewed = re.search(r"http://[^/]+(/notifications/feed/[^<]+\.atom)", page).group(1)
    assert renewed != path and client.get(renewed).status_code == 200
    members.ban(member, admin, "Spam")
    db.session.commit()
    assert client.get(renewed).status_code == 404


def test_settings_save_and_bad_hours(app, member):
    browser = _signed_in(app, member)
    ok = browser.submit("/settings/notifications", {"email_notifications": "daily",
                                                    "quiet_from": "22", "quiet_until": "7"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert (member.email_notifications, member.quiet_from, member.quiet_until) == ("daily", 22, 7)
    bad = browser.submit("/settings/notifications", {"email_notifications": "none",
                                                     "quiet_from": "25", "quiet_until": "7"})
    assert bad.status_code == 200 and "Please choose an hour from the list." in bad.get_data(
        as_text=True)
    db.session.expire_all()
    assert member.email_notifications == "daily" and member.quiet_from == 22
    # Digits that are not 0-9 ("²" passes str.isdigit, int() refuses it): an error, not a 500.
    for hour in ("²", "٣", "-1", "7.0", "99999999999999999999"):
        odd = browser.submit("/settings/notifications", {"email_notifications": "none",
                                                         "quiet_from": hour, "quiet_until": "7"})
        assert odd.status_code == 200, hour
        assert "Please choose an hour from the list." in odd.get_data(as_text=True)


def test_watch_and_mute_buttons(app, member, other_member):
    category = make_category()
    thread = make_discussion(other_member, category, tags=["fatigue"])
    browser = _signed_in(app, member)
    page = browser.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'name="level"' in page
    assert browser.submit(f"/t/{thread.id}", {"level": "tracking"},
                          action=f"/t/{thread.id}/watch").status_code == 302
    assert watching.thread_level(member, thread) == WatchLevel.TRACKING
    browser.submit(f"/c/{category.slug}", {"level": "watching"},
                   action=f"/c/{category.slug}/watch")
    assert watching.category_level(member, category) == WatchLevel.WATCHING
    browser.submit("/tag/fatigue", {"level": "muted"}, action="/tag/fatigue/watch")
    assert watching.tag_level(member, thread.tags[0]) == WatchLevel.MUTED
    browser.submit(f"/u/{other_member.username}", {"action": "mute"},
                   action=f"/u/{other_member.username}/mute")
    assert watching.has_muted(member, other_member)
    own = browser.submit(f"/u/{member.username}", {"action": "mute"},
                         action=f"/u/{member.username}/mute")
    assert own.status_code == 403
    listing = browser.get("/settings/notifications").get_data(as_text=True)
    assert other_member.name in listing and "#fatigue" in listing
