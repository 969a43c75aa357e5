"""Daily and weekly digests (`flask --app forum digest send`): only to members who chose
one, whose period is over and who have not visited since; only what they may see;
once per period."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from forum.domain import digests
from forum.extensions import db
from forum.models import (
    CategoryWatch,
    MailKind,
    Notification,
    OutboxMessage,
    Post,
    Thread,
    User,
    WatchLevel,
    utcnow,
)
from tests.factories import make_category, make_discussion, make_user


@pytest.fixture
def reader(app):
    return make_user("dora", email_notifications="daily")


def set_user(user, **values):
    db.session.execute(update(User).where(User.id == user.id).values(**values))
    db.session.commit()


def digest_mail(user):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == MailKind.DIGEST.value)).all()


def notify(user, post, kind="reply"):
    """`user` is told of `post` as `kind` (in place of what publishing it told them)."""
    db.session.execute(delete(Notification).where(Notification.user_id == user.id,
                                                  Notification.event == f"post:{post.id}"))
    db.session.add(Notification(user_id=user.id, kind=kind, event=f"post:{post.id}",
                                thread_id=post.thread_id, post_id=post.id,
                                actor_id=post.author_id))
    db.session.commit()


def reply_of(thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                Post.is_opening.is_(False)))


def test_a_daily_digest_lists_unread_notifications_and_new_threads_once(app, reader):
    ben = make_user("ben")
    category = make_category()
    watched = make_discussion(reader, category, title="Sleep and fatigue", replies=1,
                              repliers=[ben], minutes_ago=120)
    fresh = make_discussion(ben, category, title="Walking aids that helped", minutes_ago=30)
    notify(reader, reply_of(watched))

    assert digests.send_due() == (1, 0)
    (digest,) = digest_mail(reader)
    assert digest.subject == "Your daily summary from the MS Community Forum"
    assert "ben replied in Sleep and fatigue" in digest.body
    assert f"/p/{reply_of(watched).id}" in digest.body
    assert "Walking aids that helped" in digest.body and f"/t/{fresh.id}" in digest.body
    assert "Reply number 1" not in digest.body  # titles and links only, never post text
    assert "/unsubscribe/" in digest.body and "/unsubscribe/" in digest.html_body
    assert db.session.get(User, reader.id).last_digest_at is not None

    assert digests.send_due() == (0, 0)  # idempotent within the period
    assert len(digest_mail(reader)) == 1


def test_the_cli_queues_and_a_second_run_queues_nothing(app, reader):
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["digest", "send"])
    second = runner.invoke(args=["digest", "send"])
    assert first.exit_code == 0 and "1 digests queued" in first.output
    assert second.exit_code == 0 and "0 digests queued, 0 skipped" in second.output
    assert len(digest_mail(reader)) == 1


def test_a_member_who_visited_since_the_last_digest_gets_none_and_the_period_moves(app, reader):
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    last = utcnow() - timedelta(days=2)
    set_user(reader, last_digest_at=last, last_seen_at=utcnow() - timedelta(hours=3))
    assert digests.send_due() == (0, 1)
    assert digest_mail(reader) == []
    assert db.session.get(User, reader.id).last_digest_at > last


def test_never_digested_but_visited_today_gets_none(app, reader):
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    set_user(reader, last_seen_at=utcnow() - timedelta(hours=1))
    assert digests.send_due() == (0, 1) and digest_mail(reader) == []


def test_nothing_new_means_no_mail(app, reader):
    make_discussion(make_user("ben"), make_category(), title="Old news", minutes_ago=60 * 30)
    assert digests.send_due() == (0, 1) and digest_mail(reader) == []


def test_only_members_who_chose_a_digest_and_whose_period_is_over(app, reader):
    weekly = make_user("wes", email_notifications="weekly")
    make_user("ida")  # immediate
    make_user("nell", email_notifications="none")
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    set_user(weekly, last_digest_at=utcnow() - timedelta(days=3))
    set_user(reader, last_digest_at=utcnow() - timedelta(hours=20))
    assert digests.send_due() == (0, 0)
    set_user(weekly, last_digest_at=utcnow() - timedelta(days=8))
    assert digests.send_due() == (1, 0)
    (digest,) = digest_mail(weekly)
    assert digest.subject.startswith("Your weekly summary")
    assert db.session.scalar(select(db.func.count()).select_from(OutboxMessage)) == 1


def test_a_digest_never_holds_what_the_member_may_not_see(app, reader):
    ben = make_user("ben")
    category, quiet = make_category(), make_category("off-topic", "Off topic")
    make_discussion(ben, category, title="Visible thread", minutes_ago=30)
    hidden = make_discussion(ben, category, title="Hidden thread", minutes_ago=30)
    deleted = make_discussion(ben, category, title="Deleted thread", minutes_ago=30)
    make_discussion(ben, quiet, title="Thread in a muted category", minutes_ago=30)
    held = make_discussion(ben, category, title="Thread held for review", minutes_ago=30)
    watched = make_discussion(reader, category, title="Her own thread", replies=1,
                              repliers=[ben], minutes_ago=120)
    hidden_reply = reply_of(watched)
    notify(reader, hidden_reply)
    now = utcnow()
    db.session.execute(update(Thread).where(Thread.id == hidden.id).values(hidden_at=now))
    db.session.execute(update(Thread).where(Thread.id == deleted.id).values(deleted_at=now))
    db.session.execute(update(Post).where(Post.thread_id == held.id).values(held_at=now))
    db.session.execute(update(Post).where(Post.id == hidden_reply.id).values(hidden_at=now))
    db.session.add(CategoryWatch(user_id=reader.id, category_id=quiet.id,
                                 level=WatchLevel.MUTED.value))
    db.session.commit()

    assert digests.send_due() == (1, 0)
    (digest,) = digest_mail(reader)
    assert "Visible thread" in digest.body
    for absent in ("Hidden thread", "Deleted thread", "Thread in a muted category",
                   "Thread held for review", "ben replied", f"/p/{hidden_reply.id}"):
        assert absent not in digest.body and absent not in digest.html_body


def test_a_moderators_digest_leaves_out_what_their_notifications_page_does(app):
    jo = make_user("mod_jo", role="moderator", email_notifications="daily")
    ben = make_user("ben")
    thread = make_discussion(make_user("ana"), make_category(), title="Watched by jo",
                             replies=1, repliers=[ben], minutes_ago=120)
    reply = reply_of(thread)
    notify(jo, reply)
    db.session.execute(update(Post).where(Post.id == reply.id).values(hidden_at=utcnow()))
    db.session.commit()
    digests.send_due()
    for digest in digest_mail(jo):
        assert "ben replied" not in digest.body and f"/p/{reply.id}" not in digest.body


def test_a_digest_leaves_out_new_threads_with_a_muted_tag_or_by_a_muted_member(app, reader):
    from forum.domain import watching
    from forum.models import Tag

    ben, cal = make_user("ben"), make_user("cal")
    category = make_category()
    make_discussion(ben, category, title="Walking aids that helped", tags=["mobility"],
                    minutes_ago=30)
    make_discussion(ben, category, title="Diet claims again", tags=["diet"], minutes_ago=30)
    make_discussion(cal, category, title="A thread by cal", minutes_ago=30)
    watching.set_tag_level(reader, db.session.scalar(select(Tag).where(Tag.name == "diet")),
                           WatchLevel.MUTED)
    watching.mute_member(reader, cal)
    db.session.commit()
    assert digests.send_due() == (1, 0)
    (digest,) = digest_mail(reader)
    assert "Walking aids that helped" in digest.body
    assert "Diet claims again" not in digest.body and "A thread by cal" not in digest.body


def test_one_members_failing_digest_is_logged_and_the_others_still_get_theirs(
        app, reader, monkeypatch, caplog):
    wes = make_user("wes", email_notifications="weekly")
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    written = digests.mail.compose

    def compose(template, user, **context):
        if user.username == "dora":
            raise RuntimeError("a template broke")
        return written(template, user, **context)

    monkeypatch.setattr(digests.mail, "compose", compose)
    assert digests.send_due() == (1, 0)
    assert digest_mail(reader) == [] and len(digest_mail(wes)) == 1
    assert db.session.get(User, reader.id).last_digest_at is None  # rolled back: next run
    assert "the digest for member id" in caplog.text and "dora@example.org" not in caplog.text


def test_a_digest_made_a_second_past_the_hour_is_due_at_that_hour_next_day(app, reader):
    make_discussion(make_user("ben"), make_category(), title="New here", minutes_ago=10)
    now = utcnow()
    set_user(reader, last_digest_at=now - timedelta(days=1) + timedelta(seconds=1))
    assert digests.send_due(now) == (1, 0)
    set_user(reader, last_digest_at=now - timedelta(hours=22))
    assert digests.send_due(now) == (0, 0)  # not twice a day
