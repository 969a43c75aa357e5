"""Bookmarks through HTTP: saving a post (again: the note and reminder change), its note
kept as plain text, a reminder in the member's zone, refused times keeping what was
typed, removing only your own; hidden posts neither saved, nor reminded, nor shown;
`remind_due` once per reminder; the list in constant SQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from forum.domain import bookmarks
from forum.domain.moderation import hide_post, restore_post
from forum.extensions import db
from forum.models import Bookmark, Notification, OutboxMessage, Post, User, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user
from tests.test_reading import _queries_for


def text_of(response):
    return response.get_data(as_text=True)


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def thread(member, other_member, category):
    return make_discussion(other_member, category, title="Cooling vests: worth it?",
                           body="Which cooling vest do you use?", replies=2,
                           repliers=[other_member])


def reply_of(thread, n=0):
    return db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False))
                              .order_by(Post.id)).all()[n]


def saved(user):
    db.session.expire_all()
    return db.session.scalars(select(Bookmark).where(Bookmark.user_id == user.id)
                              .order_by(Bookmark.id)).all()


def save(browser, post, **fields):
    return browser.submit(f"/p/{post.id}/bookmark", fields)


def later(days=3, hour=9, minute=30):
    day = datetime.now(UTC) + timedelta(days=days)
    return f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}"


# -- saving ---------------------------------------------------------------------------

def test_the_thread_page_saves_a_post_with_one_button(member_browser, member, thread):
    reply = reply_of(thread)
    page = text_of(member_browser.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/bookmark"' in page
    response = member_browser.submit(f"/t/{thread.id}", {}, action=f"/p/{reply.id}/bookmark")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#p{reply.id}")
    [bookmark] = saved(member)
    assert bookmark.post_id == reply.id and bookmark.note == "" and bookmark.remind_at is None
    page = text_of(member_browser.get(f"/t/{thread.id}"))
    assert "Saved ✓" in page and f'action="/p/{reply.id}/bookmark"' not in page
    # Pressed again (a second tab): still one bookmark.
    member_browser.submit(f"/t/{thread.id}", {}, action=f"/p/{reply.id}/bookmark")
    assert len(saved(member)) == 1


def test_save_with_a_note_then_change_it_and_remove(member_browser, member, thread):
    reply = reply_of(thread)
    response = save(member_browser, reply, note="Ask my nurse about this", remind_at="")
    assert response.status_code == 302 and response.headers["Location"].endswith("/bookmarks")
    page = text_of(member_browser.get("/bookmarks"))
    assert "Ask my nurse about this" in page and "Cooling vests: worth it?" in page
    assert "Reply number 1" in page  # the excerpt

    save(member_browser, reply, note="Asked: she said yes", remind_at="")
    [bookmark] = saved(member)
    assert bookmark.note == "Asked: she said yes"
    # The quick Save button on a saved post keeps the note.
    member_browser.submit(f"/t/{thread.id}", {}, action=f"/p/{reply.id}/bookmark")
    assert saved(member)[0].note == "Asked: she said yes"

    response = member_browser.submit("/bookmarks", {}, action=f"/p/{reply.id}/bookmark/remove")
    assert response.status_code == 302
    assert saved(member) == []
    assert "You have no bookmarks yet" in text_of(member_browser.get("/bookmarks"))


def test_the_note_is_plain_text_escaped(member_browser, member, thread):
    save(member_browser, reply_of(thread), note='<script>alert(1)</script> <b>bold</b>',
         remind_at="")
    page = text_of(member_browser.get("/bookmarks"))
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_note_too_long_is_refused_with_the_text_kept(member_browser, member, thread):
    note = "tired " * 100
    response = save(member_browser, reply_of(thread), note=note, remind_at="")
    assert response.status_code == 200
    page = text_of(response)
    assert "500 characters or fewer" in page and note.strip() in page
    assert saved(member) == []


# -- reminders and time zones ---------------------------------------------------------

def test_the_reminder_is_read_in_the_members_zone(member_browser, member, thread):
    member.timezone = "America/New_York"
    db.session.commit()
    when = later(days=40, hour=9, minute=30)
    save(member_browser, reply_of(thread), note="", remind_at=when.replace(" ", "T"))
    [bookmark] = saved(member)
    local = bookmark.remind_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"{local:%Y-%m-%d %H:%M}" == when
    assert bookmark.remind_at.utcoffset() == timedelta(0) or bookmark.remind_at.tzinfo
    # The edit page shows it back in the member's zone, as datetime-local wants it.
    page = text_of(member_browser.get(f"/p/{bookmark.post_id}/bookmark"))
    assert f'value="{when.replace(" ", "T")}"' in page and 'type="datetime-local"' in page
    # And the list in the member's zone too ("09:30", not the UTC hour).
    assert "09:30" in text_of(member_browser.get("/bookmarks"))


def test_the_space_form_of_a_date_is_taken(member_browser, member, thread):
    save(member_browser, reply_of(thread), note="", remind_at=later())
    assert saved(member)[0].remind_at is not None


@pytest.mark.parametrize("value, error", [
    ("2020-01-01 09:00", "already passed"),
    ("tomorrow-ish", "YYYY-MM-DD HH:MM"),
    ("2027-02-30 09:00", "no such date"),
    ("2027-01-01 25:00", "no such date"),
    ("99999-01-01 09:00", "YYYY-MM-DD HH:MM"),
    ("9999-12-31 23:59", "ten years"),
    ("2027-13-01 09:00", "no such date"),
    ("x" * 10000, "YYYY-MM-DD HH:MM"),
])
def test_a_past_or_bad_time_is_refused_with_the_text_kept(member_browser, member, thread,
                                                           value, error):
    response = save(member_browser, reply_of(thread), note="Keep this note", remind_at=value)
    assert response.status_code == 200
    page = text_of(response)
    assert error in page and "Keep this note" in page
    assert saved(member) == []


# -- who may ----------------------------------------------------------------------------

def test_visitors_are_sent_to_sign_in(client, thread):
    reply = reply_of(thread)
    for path in ("/bookmarks", f"/p/{reply.id}/bookmark"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = text_of(client.get(f"/t/{thread.id}"))
    assert f'action="/p/{reply.id}/bookmark"' not in page
    assert "Bookmarks" not in page.split("</header>")[0]
    response = client.post(f"/p/{reply.id}/bookmark", data={
        "csrf_token": csrf_token(text_of(client.get("/login")))})
    assert response.status_code in (302, 401)
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0


def test_a_post_without_its_csrf_token_is_refused(member_browser, member, thread):
    reply = reply_of(thread)
    assert member_browser.client.post(f"/p/{reply.id}/bookmark", data={}).status_code == 400
    assert member_browser.client.post(f"/p/{reply.id}/bookmark",
                                      data={"note": "x"}).status_code == 400
    assert saved(member) == []


def test_someone_elses_bookmark_cannot_be_removed(app, member_browser, member, other_member,
                                                  thread):
    reply = reply_of(thread)
    bookmarks.add(reply, other_member)
    response = member_browser.submit("/bookmarks", {}, action=f"/p/{reply.id}/bookmark/remove")
    assert response.status_code == 404
    assert len(saved(other_member)) == 1
    assert "Cooling" not in text_of(member_browser.get("/bookmarks"))


def test_hidden_post_is_not_bookmarkable(member_browser, member, moderator, thread):
    reply = reply_of(thread)
    hide_post(reply, moderator, "Off topic")
    assert member_browser.get(f"/p/{reply.id}/bookmark").status_code == 404
    response = member_browser.submit("/bookmarks", {"note": "x", "remind_at": ""},
                                     action=f"/p/{reply.id}/bookmark")
    assert response.status_code == 404
    assert member_browser.get("/p/99999999/bookmark").status_code == 404
    assert saved(member) == []


def test_a_moderator_is_told_why_a_hidden_post_cannot_be_saved(app, moderator, thread):
    reply = reply_of(thread)
    hide_post(reply, moderator, "Off topic")
    browser = Browser(app.test_client())
    browser.login(moderator.username)
    response = browser.get(f"/p/{reply.id}/bookmark")
    assert response.status_code == 403
    assert "Only a post everyone can see can be saved." in text_of(response)


def test_a_post_hidden_after_saving_is_not_shown_nor_reminded(member_browser, member,
                                                              moderator, thread):
    reply = reply_of(thread)
    save(member_browser, reply, note="My own words", remind_at=later(days=1))
    hide_post(reply, moderator, "Off topic")
    page = text_of(member_browser.get("/bookmarks"))
    assert "This post is no longer available" in page
    assert "Reply number 1" not in page and "Cooling vests" not in page
    assert "My own words" in page  # the member's own note is theirs to keep
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 0
    # (The reply's author is told of the moderator's action; the member hears nothing.)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == member.id)) == 0
    # It can still be removed from the list.
    response = member_browser.submit("/bookmarks", {}, action=f"/p/{reply.id}/bookmark/remove")
    assert response.status_code == 302 and saved(member) == []


def test_the_reminder_waits_while_hidden_and_comes_once_public(member_browser, member,
                                                               moderator, thread):
    reply = reply_of(thread)
    save(member_browser, reply, note="", remind_at=later(days=1))
    hide_post(reply, moderator, "Checking")
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 0
    restore_post(db.session.get(Post, reply.id), moderator, "Fine after all")
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 1


# -- remind_due -------------------------------------------------------------------------

def test_remind_due_makes_one_notification_and_one_mail(member_browser, member, thread):
    reply = reply_of(thread)
    save(member_browser, reply, note="", remind_at=later(days=1))
    assert bookmarks.remind_due() == 0  # not yet due
    soon = utcnow() + timedelta(days=2)
    assert bookmarks.remind_due(now=soon) == 1
    assert bookmarks.remind_due(now=soon) == 0  # run twice: nothing more
    db.session.expire_all()
    [bookmark] = saved(member)
    [notice] = db.session.scalars(select(Notification)).all()
    assert notice.user_id == member.id and notice.kind == "reminder"
    assert notice.event == f"reminder:{bookmark.id}"
    assert notice.post_id == reply.id and notice.thread_id == thread.id
    assert bookmark.reminded_at is not None
    mails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.notification_id == notice.id)).all()
    assert len(mails) == 1  # maria wants mail at once (the default)
    assert "Reminded" in text_of(member_browser.get("/bookmarks"))


def test_a_member_who_wants_no_mail_gets_only_the_notification(member_browser, member,
                                                               thread):
    member.email_notifications = "none"
    db.session.commit()
    save(member_browser, reply_of(thread), note="", remind_at=later(days=1))
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.notification_id.is_not(None))) == 0


def test_a_new_reminder_time_reminds_again(member_browser, member, thread):
    reply = reply_of(thread)
    save(member_browser, reply, note="", remind_at=later(days=1))
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 1
    save(member_browser, reply, note="again", remind_at=later(days=5))
    assert saved(member)[0].reminded_at is None
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=6)) == 1
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    # Changing only the note leaves a sent reminder sent.
    save(member_browser, reply, note="only the note",
         remind_at=bookmarks.local_value(saved(member)[0].remind_at, member))
    assert saved(member)[0].reminded_at is not None


def test_the_note_of_a_reminded_bookmark_can_change_alone(member_browser, member, thread):
    reply = reply_of(thread)
    save(member_browser, reply, note="first", remind_at=later(days=1))
    assert bookmarks.remind_due(now=utcnow() + timedelta(days=2)) == 1
    # The reminder's time has passed by now: kept as it was, it is not refused.
    db.session.execute(db.update(Bookmark).values(remind_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    form = text_of(member_browser.get(f"/p/{reply.id}/bookmark"))
    value = __import__("re").search(r'name="remind_at" type="datetime-local" value="([^"]+)"',
                                    form) or __import__("re").search(
        r'type="datetime-local" value="([^"]+)"', form)
    response = save(member_browser, reply, note="second", remind_at=value.group(1))
    assert response.status_code == 302
    [bookmark] = saved(member)
    assert bookmark.note == "second" and bookmark.reminded_at is not None
    assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_the_cli_command_sends_due_reminders(app, member_browser, member, thread):
    save(member_browser, reply_of(thread), note="", remind_at=later(days=1))
    db.session.execute(db.update(Bookmark).values(remind_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "1 reminders sent." in result.output
    result = runner.invoke(args=["reminders", "send"])
    assert "0 reminders sent." in result.output


# -- constant SQL -----------------------------------------------------------------------

def test_the_list_reads_in_constant_sql(app, member, other_member, category):
    authors = [other_member, *(make_user(f"writer{n}") for n in range(4))]
    thread = make_discussion(other_member, category, replies=15, repliers=authors)
    replies = db.session.scalars(select(Post).where(Post.thread_id == thread.id,
                                                    Post.is_opening.is_(False))).all()
    browser = Browser(app.test_client())
    browser.login(member.username)
    user = db.session.get(User, member.id)
    for post in replies[:3]:
        bookmarks.add(post, user)
    few = len(_queries_for(browser.client, "/bookmarks"))
    for post in replies[3:]:
        bookmarks.add(post, user)
    many = len(_queries_for(browser.client, "/bookmarks"))
    assert few == many, (few, many)
    # The thread page asks once for the page's saved posts, however many are saved.
    assert len(_queries_for(browser.client, f"/t/{thread.id}?page=2")) == \
        len(_queries_for(browser.client, f"/t/{thread.id}?page=3"))
