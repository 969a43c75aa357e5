"""The rules in forum.permissions, role by role and state by state (no HTTP)."""

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from forum import permissions as p
from forum.domain.moderation import lock_thread
from forum.extensions import db
from forum.models import Post
from tests.factories import make_category, make_discussion, make_user

ROLES = ["anonymous", "member", "author", "expert", "moderator", "admin"]


@pytest.fixture
def world(app):
    users = {
        "anonymous": AnonymousUserMixin(),
        "member": make_user("member_a"),
        "author": make_user("author_b"),
        "expert": make_user("expert_c", role="expert"),
        "moderator": make_user("moderator_d", role="moderator"),
        "admin": make_user("admin_e", role="admin"),
    }
    category = make_category()
    open_thread = make_discussion(users["author"], category, title="An open thread", replies=1,
                                  repliers=[users["member"]])
    locked_thread = make_discussion(users["author"], category, title="A locked thread")
    lock_thread(locked_thread, users["moderator"], "Off topic")
    return users, open_thread, locked_thread


def _first_post(thread):
    from sqlalchemy import select

    from forum.extensions import db
    from forum.models import Post

    return db.session.scalar(select(Post).where(Post.thread_id == thread.id).order_by(Post.id))


def expect(world, table, rule, target):
    for role, expected in zip(ROLES, table, strict=True):
        decision = rule(world[0][role], target)
        status = "ok" if decision else decision.status
        assert status == expected, (rule.__name__, role, status, decision.reason)


#                    anonymous  member  author  expert  moderator  admin
def test_start_discussion_and_reply_on_an_open_thread(world):
    _, open_thread, _ = world
    expect(world, ["login", "ok", "ok", "ok", "ok", "ok"], p.can_start_discussion, None)
    expect(world, ["login", "ok", "ok", "ok", "ok", "ok"], p.can_reply, open_thread)


def test_a_locked_thread_refuses_replies_except_from_moderators(world):
    _, _, locked = world
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_reply, locked)
    assert p.can_reply(world[0]["member"], locked).reason == "This thread is locked."


def test_only_verified_experts_and_staff_publish_articles(world):
    expect(world, ["login", 403, 403, "ok", "ok", "ok"], p.can_publish_article, None)


def test_authors_edit_their_own_posts_moderators_any(world):
    _, open_thread, locked = world
    expect(world, ["login", 403, "ok", 403, "ok", "ok"], p.can_edit_post, _first_post(open_thread))
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_edit_post, _first_post(locked))


def test_the_opening_post_of_a_thread_with_replies_stays(world):
    _, open_thread, _ = world
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_delete_post, _first_post(open_thread))


def test_members_flag_others_posts_not_their_own(world):
    _, open_thread, _ = world
    expect(world, ["login", "ok", 403, "ok", "ok", "ok"], p.can_flag, _first_post(open_thread))


def test_moderation_is_for_moderators_and_admins(world):
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_moderate, None)
    expect(world, ["login", 403, 403, 403, 403, "ok"], p.can_administer, None)


def test_template_helper_asks_the_same_rules(app, world):
    from flask_login import login_user

    users, _, locked = world
    with app.test_request_context():
        login_user(users["member"])
        assert p.can.reply(locked) is False
        login_user(users["moderator"])
        assert p.can.reply(locked) is True
        with pytest.raises(AttributeError):
            p.can.fly(locked)


def test_unconfirmed_accounts_may_write_unless_the_forum_requires_confirmation(app, world):
    from forum.domain.accounts import create_user

    newcomer = create_user("newcomer", "newcomer@example.org", "a calm long password")
    _, open_thread, _ = world
    assert p.can_reply(newcomer, open_thread)
    app.config["REQUIRE_CONFIRMED_EMAIL_TO_POST"] = True
    try:
        decision = p.can_reply(newcomer, open_thread)
        assert not decision and decision.status == 403 and "confirm" in decision.reason
        assert p.can_reply(world[0]["member"], open_thread)  # confirmed accounts still may
    finally:
        app.config["REQUIRE_CONFIRMED_EMAIL_TO_POST"] = False


def test_moderation_rules_by_role_and_state(app, world):
    from datetime import timedelta

    from forum.models import utcnow

    users, open_thread, _ = world
    reply = db.session.scalar(select(Post).where(Post.thread_id == open_thread.id,
                                                 Post.is_opening.is_(False)))
    #                                  anonymous  member  author  expert  moderator  admin
    expect(world, ["login", 403, 403, "ok", "ok", "ok"], p.can_label, reply)
    expect(world, ["login", 403, 403, 403, 403, "ok"], p.can_ban, users["member"])
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_suspend, users["member"])
    expect(world, ["login", 403, 403, 403, 403, "ok"], p.can_suspend, users["moderator"])
    expect(world, ["login", "ok", "ok", 403, "ok", "ok"], p.can_report_user, users["expert"])

    reply.hidden_at = utcnow()  # a hidden reply by "member"
    expect(world, [404, "ok", 404, 404, "ok", "ok"], p.can_view_post, reply)
    reply.hidden_at, reply.held_at = None, utcnow()
    expect(world, [404, "ok", 404, 404, "ok", "ok"], p.can_view_post, reply)
    reply.held_at = None

    author = users["author"]
    author.suspended_until = utcnow() + timedelta(days=2)
    decision = p.can_reply(author, open_thread)
    assert decision.status == 403 and "suspended until" in decision.reason
    author.suspended_until = None
    open_thread.category.archived_at = utcnow()
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_reply, open_thread)
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_start_discussion,
           open_thread.category)
    open_thread.category.archived_at = None
    db.session.rollback()


def test_new_members_posts_are_held_until_established(app, world):
    from forum import text
    from forum.domain.accounts import create_user

    newcomer = create_user("newcomer", "newcomer@example.org", "a calm long password")
    assert p.needs_review(newcomer, "hello", approved_posts=lambda: 0)
    assert p.needs_review(newcomer, "hello", approved_posts=lambda: 1)
    assert not p.needs_review(newcomer, "hello", approved_posts=lambda: 2)
    # young, and a link: decided on the rendered HTML, so a bare domain counts too
    assert p.needs_review(newcomer, text.render("see https://example.org"),
                          approved_posts=lambda: 5)
    assert p.needs_review(newcomer, text.render("see example.org"), approved_posts=lambda: 5)
    assert not p.needs_review(newcomer, text.render("see https://"), approved_posts=lambda: 5)
    for role in ("member", "expert", "moderator"):
        assert not p.needs_review(world[0][role], "https://x.example", approved_posts=lambda: 0)


def test_lifting_a_sanction_takes_the_power_to_impose_it(app, world):
    from datetime import timedelta

    from forum.models import utcnow

    users, _, _ = world
    member = users["member"]
    #                                  anonymous  member  author  expert  moderator  admin
    member.suspended_until = utcnow() + timedelta(days=2)
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_lift, member)
    member.banned_at = utcnow()
    expect(world, ["login", 403, 403, 403, 403, "ok"], p.can_lift, member)
    assert p.can_lift(users["moderator"], member).reason == "Only an admin can lift a ban."
    expect(world, ["login", 403, 403, 403, 403, "ok"], p.can_lift, users["moderator"])
    db.session.rollback()


def test_an_archived_category_takes_no_edits_or_articles_from_members(app, world):
    from forum.models import utcnow

    _, open_thread, _ = world
    category = open_thread.category
    category.archived_at = utcnow()
    #                                  anonymous  member  author  expert  moderator  admin
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_edit_post, _first_post(open_thread))
    expect(world, ["login", 403, 403, 403, "ok", "ok"], p.can_publish_article, category)
    assert "archived" in p.can_edit_post(world[0]["author"], _first_post(open_thread)).reason
    category.archived_at = None
    expect(world, ["login", 403, 403, "ok", "ok", "ok"], p.can_publish_article, category)
    db.session.rollback()


def test_a_deleted_article_shows_none_of_its_details_to_anyone(app, world):
    from forum.domain.visibility import delete
    from tests.factories import make_article

    users, open_thread, _ = world
    article = make_article(users["expert"], open_thread.category)
    #                                  anonymous  member  author  expert  moderator  admin
    expect(world, ["ok", "ok", "ok", "ok", "ok", "ok"], p.can_view_article_details, article)
    expect(world, [404] * 6, p.can_view_article_details, open_thread)  # not an article
    delete(_first_post(article), users["expert"])
    db.session.flush()
    assert article.deleted_at is not None
    expect(world, [404] * 6, p.can_view_article_details, article)
    db.session.rollback()


def test_an_archived_category_says_so_to_everyone(app, world):
    from forum.models import utcnow

    _, open_thread, _ = world
    category = open_thread.category
    expect(world, ["ok"] * 6, p.can_add_to_category, category)
    category.archived_at = utcnow()
    # Moderators still tidy it (can_reply, can_start_discussion), but it is archived for them too.
    expect(world, [403] * 6, p.can_add_to_category, category)
    assert p.can_add_to_category(None, category).reason == (
        "This category is archived: it can be read but not added to.")
    assert p.can_reply(world[0]["member"], open_thread).reason == p.can_add_to_category(
        None, category).reason
    db.session.rollback()
