"""Moderation through HTTP: locks, pins, moves, hiding, labels, reports, holding,
suspensions, the log and the admin pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import EvidenceLabel, Flag, ModerationEvent, OutboxMessage, Post, Thread, utcnow
from tests.conftest import Browser, csrf_token
from tests.factories import make_category, make_discussion, make_user


@pytest.fixture
def category(app):
    return make_category()


@pytest.fixture
def labels(app):
    made = [EvidenceLabel(name=name, tone=tone, position=n) for n, (name, tone) in enumerate([
        ("Unproven — no trial evidence", "caution"), ("In clinical trials", "info")])]
    db.session.add_all(made)
    db.session.commit()
    return made


@pytest.fixture
def thread(member, other_member, category):
    return make_discussion(member, category, title="A clinic abroad offers a cure",
                           body="They charge a lot.", replies=2, repliers=[other_member])


def page(browser, path):
    response = browser.get(path, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def events(action):
    return db.session.scalars(select(ModerationEvent).where(
        ModerationEvent.action.startswith(action))).all()


def reply_of(user):
    return db.session.scalar(select(Post).where(Post.author_id == user.id,
                                                Post.is_opening.is_(False)))


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


# -- threads -------------------------------------------------------------------

def test_lock_needs_a_reason_shows_who_when_why_and_is_logged(moderator_browser, member_browser,
                                                              thread):
    url = f"/t/{thread.id}"
    refused = moderator_browser.submit(url, {"reason": ""}, action=f"{url}/lock",
                                       follow_redirects=True)
    assert "Please give a reason." in refused.get_data(as_text=True)
    assert db.session.get(Thread, thread.id).locked_at is None

    moderator_browser.submit(url, {"reason": "Paid treatment outside any trial."},
                             action=f"{url}/lock")
    seen = page(member_browser, url)
    assert "This thread is locked" in seen and "Paid treatment outside any trial." in seen
    assert "mod_jo" in seen and f'action="{url}/reply"' not in seen
    assert [e.reason for e in events("lock")] == ["Paid treatment outside any trial."]

    moderator_browser.submit(url, {}, action=f"{url}/unlock")
    assert "This thread is locked" not in page(member_browser, url)
    assert len(events("unlock")) == 1


def test_pin_and_move(moderator_browser, thread, category):
    other = make_category("treatments-and-trials", "Treatments and trials")
    url = f"/t/{thread.id}"
    moderator_browser.submit(url, {}, action=f"{url}/pin")
    assert db.session.get(Thread, thread.id).pinned_at is not None
    moderator_browser.submit(url, {"category": str(other.id)}, action=f"{url}/move")
    assert "A clinic abroad" in page(moderator_browser, "/c/treatments-and-trials")
    assert "A clinic abroad" not in page(moderator_browser, "/c/living-with-ms")
    assert {e.action for e in db.session.scalars(select(ModerationEvent))} == {"pin", "move"}


# -- hiding ----------------------------------------------------------------------

def test_hidden_posts_vanish_for_everyone_but_moderators_and_the_author(
        app, moderator_browser, member_browser, other_member, thread, client):
    hidden = reply_of(other_member)
    moderator_browser.submit(f"/t/{thread.id}", {"reason": "Shares a phone number."},
                             action=f"/p/{hidden.id}/hide")

    assert "Reply number 1" not in page(member_browser, f"/t/{thread.id}")
    assert "Reply number 1" not in page(client, f"/t/{thread.id}")
    assert "Reply number 1" not in page(client, "/")  # recent comments
    assert "Reply number 1" not in page(client, f"/u/{other_member.username}")
    assert "0 results" in page(client, "/search?q=number+1")
    assert client.get(f"/p/{hidden.id}").status_code == 404
    author_view = page(signed_in(app, other_member), f"/t/{thread.id}")
    assert "Reply number 1" in author_view and "Shares a phone number." in author_view
    assert "Reply number 1" in page(moderator_browser, f"/t/{thread.id}")
    assert db.session.get(Thread, thread.id).reply_count == 1
    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == "sam@example.org")).all()
    assert any("Shares a phone number." in m.body for m in told)

    moderator_browser.submit(f"/t/{thread.id}", {}, action=f"/p/{hidden.id}/restore")
    assert "Reply number 1" in page(client, f"/t/{thread.id}")
    assert db.session.get(Thread, thread.id).reply_count == 2


# -- labels ----------------------------------------------------------------------

def test_moderators_and_experts_label_claims_members_cannot(app, moderator_browser,
                                                            member_browser, expert, thread,
                                                            labels, client):
    unproven, trials = labels
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))
    expert_browser = signed_in(app, expert)
    expert_browser.submit(f"/t/{thread.id}", {"label": str(unproven.id),
                                              "note": "No trial has shown benefit."},
                          action=f"/p/{opening.id}/label")
    moderator_browser.submit(f"/t/{thread.id}", {"label": str(trials.id), "note": ""},
                             action=f"/t/{thread.id}/label")
    seen = page(client, f"/t/{thread.id}")
    assert "Unproven — no trial evidence" in seen and "No trial has shown benefit." in seen
    assert "dr_nair (verified expert)" in seen or "Labelled by dr_nair" in seen
    assert "In clinical trials" in seen

    refused = member_browser.submit(f"/t/{thread.id}", {"label": str(unproven.id)},
                                    action=f"/p/{opening.id}/label")
    assert refused.status_code == 403
    filtered = page(client, f"/c/living-with-ms?label={trials.id}")
    assert "A clinic abroad" in filtered
    assert "A clinic abroad" not in page(client, f"/c/living-with-ms?label={unproven.id}")


# -- reports -----------------------------------------------------------------------

def test_reports_are_grouped_urgent_first_and_resolved_in_one_step(app, member_browser,
                                                                   moderator_browser,
                                                                   other_member, thread,
                                                                   expert):
    reported = reply_of(other_member)
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))
    member_browser.submit(f"/p/{reported.id}/flag", {"reason": "spam", "note": ""})
    member_browser.submit(f"/p/{reported.id}/flag", {"reason": "spam", "note": "again"})
    signed_in(app, expert).submit(f"/p/{reported.id}/flag", {"reason": "misinformation"})
    signed_in(app, other_member).submit(f"/p/{opening.id}/flag",
                                        {"reason": "at-risk", "note": "Sounds desperate"})
    assert db.session.scalar(select(func.count(Flag.id))) == 3  # one open report per member

    queue = page(moderator_browser, "/mod")
    assert queue.index("Urgent: someone may be at risk") < queue.index("2 reports")
    assert "Sounds desperate" in queue

    moderator_browser.submit("/mod", {"action": "hide", "note": "Advertising a clinic."},
                             action=f"/mod/reports/post-{reported.id}")
    assert db.session.get(Post, reported.id).hidden_at is not None
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None))) == 1
    assert "A moderator hid the post." in page(member_browser, "/reports")
    assert events("resolve: hide") and events("hide")


def test_reporting_needs_a_reason_and_not_ones_own_post(member_browser, member, thread):
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert member_browser.submit(f"/p/{opening.id}/flag", {"reason": "spam"}).status_code == 403
    other = db.session.scalar(select(Post).where(Post.author_id != member.id))
    response = member_browser.submit(f"/p/{other.id}/flag", {"reason": "other", "note": ""})
    assert response.status_code == 400 and "Please say what is wrong." in response.get_data(
        as_text=True)


def test_members_can_report_a_member(member_browser, moderator_browser, other_member):
    member_browser.submit(f"/u/{other_member.username}/report",
                          {"reason": "harassment", "note": "Rude messages"})
    queue = page(moderator_browser, "/mod")
    assert "Rude messages" in queue and f"/u/{other_member.username}" in queue
    moderator_browser.submit("/mod", {"action": "dismiss", "note": ""},
                             action=f"/mod/reports/user-{other_member.id}")
    assert "No open reports." in page(moderator_browser, "/mod")


# -- holding new members' posts ------------------------------------------------------

def test_a_new_members_first_posts_wait_for_approval(app, client, moderator_browser, category,
                                                     other_member):
    newcomer = Browser(app.test_client())
    newcomer.join("newbie")
    response = newcomer.submit("/c/living-with-ms/new",
                               {"title": "Hello from a newcomer", "body": "Hi all"})
    url = response.headers["Location"]
    assert "Awaiting review" in page(newcomer, url)
    assert client.get(url).status_code == 404
    assert "Hello from a newcomer" not in page(client, "/c/living-with-ms")

    held = db.session.scalar(select(Post).where(Post.held_at.is_not(None)))
    assert "Hello from a newcomer" in page(moderator_browser, "/mod")
    moderator_browser.submit("/mod", {}, action=f"/mod/held/{held.id}/approve")
    assert "Hi all" in page(client, url)
    assert "Hello from a newcomer" in page(client, "/c/living-with-ms")

    # HOLD_FIRST_POSTS is 2: the second post waits too, and once it is approved the
    # author posts freely.
    thread = make_discussion(other_member, category, title="Somewhere to reply")
    second = newcomer.submit(f"/t/{thread.id}", {"body": "My second post"},
                             action=f"/t/{thread.id}/reply")
    assert "My second post" not in page(client, second.headers["Location"])
    held = db.session.scalar(select(Post).where(Post.held_at.is_not(None)))
    moderator_browser.submit("/mod", {}, action=f"/mod/held/{held.id}/approve")
    reply = newcomer.submit(f"/t/{thread.id}", {"body": "Approved authors post freely"},
                            action=f"/t/{thread.id}/reply")
    assert "Approved authors post freely" in page(client, reply.headers["Location"])
    assert events("approve")


def test_a_rejected_post_stays_hidden_and_the_author_is_told(app, moderator_browser, category):
    author = make_user("fresh_face")
    author.established_at = None
    db.session.commit()
    browser = signed_in(app, author)
    browser.submit("/c/living-with-ms/new", {"title": "Buy my miracle cure", "body": "link"})
    held = db.session.scalar(select(Post).where(Post.held_at.is_not(None)))
    moderator_browser.submit("/mod", {"reason": "Advertising."},
                             action=f"/mod/held/{held.id}/reject")
    assert db.session.get(Post, held.id).hidden_reason == "Advertising."
    assert "Nothing is waiting." in page(moderator_browser, "/mod")
    assert any("Advertising." in m.body for m in db.session.scalars(select(OutboxMessage)))


# -- suspensions -----------------------------------------------------------------------

def test_a_suspended_member_reads_but_every_write_says_until_when_and_why(
        app, moderator_browser, member_browser, member, thread):
    until = (utcnow() + timedelta(days=7)).date().isoformat()
    moderator_browser.submit(f"/u/{member.username}", {"until": until,
                                                       "reason": "Cooling-off period."},
                             action=f"/u/{member.username}/suspend")
    assert member_browser.get(f"/t/{thread.id}").status_code == 200
    refused = member_browser.submit(f"/t/{thread.id}", {"body": "Let me reply"},
                                    action=f"/t/{thread.id}/reply")
    assert refused.status_code == 403
    assert "suspended until" in refused.get_data(as_text=True)
    assert "Cooling-off period." in refused.get_data(as_text=True)
    new_form = member_browser.get("/c/living-with-ms/new")
    assert new_form.status_code == 403 and "Cooling-off period." in new_form.get_data(as_text=True)

    moderator_browser.submit(f"/u/{member.username}", {}, action=f"/u/{member.username}/reinstate")
    assert member_browser.get("/c/living-with-ms/new").status_code == 200
    assert {e.action for e in db.session.scalars(select(ModerationEvent))} == {
        "suspend", "reinstate"}


def test_a_suspension_must_end_in_the_future_and_the_reason_is_kept(moderator_browser, member):
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    refused = moderator_browser.submit(f"/u/{member.username}", {
        "until": yesterday, "reason": "A long reason worth keeping."},
        action=f"/u/{member.username}/suspend")
    assert refused.status_code == 200
    assert "The end of a suspension must be in the future." in refused.get_data(as_text=True)
    assert "A long reason worth keeping." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert member.suspended_until is None


def test_only_admins_ban_and_moderators_cannot_suspend_staff(app, moderator_browser, member,
                                                            admin):
    assert moderator_browser.submit("/", {"reason": "x"},
                                    action=f"/u/{member.username}/ban").status_code == 403
    until = (utcnow() + timedelta(days=1)).date().isoformat()
    assert moderator_browser.submit("/", {"until": until, "reason": "x"},
                                    action=f"/u/{admin.username}/suspend").status_code == 403
    admin_browser = signed_in(app, admin)
    admin_browser.submit("/", {"reason": "Repeated spam."}, action=f"/u/{member.username}/ban")
    member_browser = signed_in(app, member)
    assert "banned" in member_browser.get("/c/living-with-ms/new").get_data(as_text=True)


# -- the log and admin pages ---------------------------------------------------------

def test_the_log_lists_every_action_and_filters(moderator_browser, thread, other_member):
    url = f"/t/{thread.id}"
    moderator_browser.submit(url, {"reason": "Heated"}, action=f"{url}/lock")
    moderator_browser.submit(url, {}, action=f"{url}/pin")
    hidden = reply_of(other_member)
    moderator_browser.submit(url, {"reason": "Rude"}, action=f"/p/{hidden.id}/hide")
    log = page(moderator_browser, "/mod/log")
    for action in ("lock", "pin", "hide"):
        assert f"<td>{action}</td>" in log
    only_hides = page(moderator_browser, "/mod/log?action=hide")
    assert "<td>hide</td>" in only_hides and "<td>lock</td>" not in only_hides
    about_sam = page(moderator_browser, f"/mod/log?user={other_member.username}")
    assert "<td>hide</td>" in about_sam and "<td>pin</td>" not in about_sam


def test_a_category_address_already_in_use_is_refused_beside_the_field(app, admin, client):
    admin_browser = signed_in(app, admin)
    first = {"slug": "diet", "name": "Diet and MS", "description": "", "position": "1"}
    assert admin_browser.submit("/admin/categories", first).status_code == 302
    events = db.session.scalar(select(func.count(ModerationEvent.id)))
    again = admin_browser.submit("/admin/categories", {**first, "name": "Food"})
    assert again.status_code == 200
    assert "A category already uses that address." in again.get_data(as_text=True)
    assert 'value="Food"' in again.get_data(as_text=True), "what the admin typed is kept"
    from forum.models import Category

    assert db.session.scalars(select(Category.name).where(Category.slug == "diet")).all() \
        == ["Diet and MS"]
    assert db.session.scalar(select(func.count(ModerationEvent.id))) == events


def test_admins_manage_categories_labels_and_roles(app, admin, member, client):
    admin_browser = signed_in(app, admin)
    admin_browser.submit("/admin/categories", {"slug": "diet", "name": "Diet and MS",
                                               "description": "Food.", "position": "3"})
    assert "Diet and MS" in page(client, "/")
    from forum.models import Category

    diet = db.session.scalar(select(Category).where(Category.slug == "diet"))
    admin_browser.submit("/admin/categories", {}, action=f"/admin/categories/{diet.id}/archive")
    member_browser = signed_in(app, member)
    refused = member_browser.get("/c/diet/new")
    assert refused.status_code == 403 and "archived" in refused.get_data(as_text=True)
    # The category page says it in the rule's words, to the admin who may still tidy it too.
    notice = "This category is archived: it can be read but not added to."
    assert notice in page(member_browser, "/c/diet") and notice in page(admin_browser, "/c/diet")

    admin_browser.submit("/admin/labels", {"name": "Needs a source", "tone": "info",
                                           "position": "9"})
    assert db.session.scalar(select(EvidenceLabel).where(EvidenceLabel.name == "Needs a source"))

    admin_browser.submit(f"/admin/users/{member.username}", {"role": "moderator"},
                         action=f"/admin/users/{member.username}/role")
    assert member_browser.get("/mod").status_code == 200
    history = page(admin_browser, f"/admin/users/{member.username}")
    assert "member → moderator" in history
    assert {e.action for e in db.session.scalars(select(ModerationEvent))} >= {
        "category: create", "category: archive", "label list: add", "role"}


# -- guards ----------------------------------------------------------------------------

def _guarded_routes():
    from forum import create_app

    app = create_app({"TESTING": True})
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("moderation.", "admin.")):
            args = {name: 1 if name.endswith("_id") else ("post-1" if name == "key" else "sam")
                    for name in rule.arguments}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, args


@pytest.mark.parametrize(("endpoint", "method", "args"), list(_guarded_routes()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_moderation_route_refuses_members_and_anonymous(app, member, other_member,
                                                              endpoint, method, args):
    from flask import url_for

    with app.test_request_context():
        url = url_for(endpoint, **args)
    anonymous = Browser(app.test_client())
    signed = signed_in(app, member)
    token = csrf_token(signed.get("/").get_data(as_text=True))
    if method == "GET":
        assert anonymous.get(url).status_code == 302
        assert signed.get(url).status_code == 403
    else:
        anon_token = csrf_token(anonymous.get("/register").get_data(as_text=True))
        assert anonymous.client.post(url, data={"csrf_token": anon_token}).status_code == 302
        assert signed.client.post(url, data={"csrf_token": token, "reason": "x"}
                                  ).status_code == 403
    assert db.session.scalar(select(func.count(ModerationEvent.id))) == 0


def test_the_walk_finds_the_moderation_routes():
    endpoints = {endpoint for endpoint, _, _ in _guarded_routes()}
    assert {"moderation.queue", "moderation.log", "moderation.lock", "moderation.unlock",
            "moderation.hide", "admin.user_list", "admin.category_list"} <= endpoints


def test_admins_change_community_settings_and_they_apply(app, admin, category):
    admin_browser = signed_in(app, admin)
    refused = admin_browser.submit("/admin/settings", {"HOLD_FIRST_POSTS": "-1"})
    assert "Choose a number from 0 to 50." in refused.get_data(as_text=True)
    admin_browser.submit("/admin/settings", {"HOLD_FIRST_POSTS": "0"})
    assert events("setting")

    newcomer = Browser(app.test_client())
    newcomer.join("newbie")
    newcomer.submit("/c/living-with-ms/new", {"title": "Straight in", "body": "No waiting"})
    assert db.session.scalar(select(func.count(Post.id)).where(Post.held_at.is_not(None))) == 0
    assert "Straight in" in page(Browser(app.test_client()), "/c/living-with-ms")


@pytest.mark.parametrize("label", ["99999999999999999999", "-5", "x", ""])
def test_a_nonsense_label_id_is_no_label_not_an_error(moderator_browser, thread, label):
    response = moderator_browser.submit(f"/t/{thread.id}", {"label": label, "note": ""},
                                        action=f"/t/{thread.id}/label")
    assert response.status_code == 302
    assert db.session.get(Thread, thread.id).label_id is None


def test_hidden_and_held_posts_cannot_be_quoted_by_others(app, moderator_browser,
                                                          member_browser, other_member, thread):
    hidden = reply_of(other_member)
    moderator_browser.submit(f"/t/{thread.id}", {"reason": "Private details"},
                             action=f"/p/{hidden.id}/hide")
    page_text = page(member_browser, f"/t/{thread.id}?quote={hidden.id}")
    assert "Reply number 1" not in page_text


def test_counts_stay_right_when_hidden_or_held_replies_are_deleted(app, moderator, member,
                                                                   other_member, thread):
    from forum.domain.moderation import hide_post
    from forum.domain.posts import delete_post
    from forum.domain.visibility import hold

    first = reply_of(other_member)
    hide_post(first, moderator, "x")
    assert db.session.get(Thread, thread.id).reply_count == 1
    delete_post(first, moderator)
    assert db.session.get(Thread, thread.id).reply_count == 1
    from forum.domain.posts import add_reply

    held = add_reply(thread, member, "held one")
    hold(held)
    db.session.commit()
    before = db.session.get(Thread, thread.id).reply_count
    delete_post(held, member)
    assert db.session.get(Thread, thread.id).reply_count == before


def test_a_rejected_post_cannot_be_approved_afterwards(app, moderator_browser, category):
    author = make_user("fresh_face")
    author.established_at = None
    db.session.commit()
    signed_in(app, author).submit("/c/living-with-ms/new", {"title": "Miracle cure for sale",
                                                            "body": "buy"})
    held = db.session.scalar(select(Post).where(Post.held_at.is_not(None)))
    moderator_browser.submit("/mod", {"reason": "Advertising."},
                             action=f"/mod/held/{held.id}/reject")
    moderator_browser.submit("/mod", {}, action=f"/mod/held/{held.id}/approve")
    post = db.session.get(Post, held.id)
    assert post.hidden_at is not None
    assert db.session.get(Thread, post.thread_id).hidden_at is not None


def test_resolving_reports_on_an_already_hidden_post_closes_them(member_browser,
                                                                 moderator_browser,
                                                                 other_member, thread):
    reported = reply_of(other_member)
    member_browser.submit(f"/p/{reported.id}/flag", {"reason": "spam"})
    moderator_browser.submit(f"/t/{thread.id}", {"reason": "Spam"},
                             action=f"/p/{reported.id}/hide")
    moderator_browser.submit("/mod", {"action": "hide", "note": ""},
                             action=f"/mod/reports/post-{reported.id}")
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None))) == 0


def test_admins_cannot_change_their_own_role(app, admin):
    admin_browser = signed_in(app, admin)
    response = admin_browser.submit(f"/admin/users/{admin.username}", {"role": "member"},
                                    action=f"/admin/users/{admin.username}/role")
    assert response.status_code == 403
    assert db.session.get(type(admin), admin.id).role == "admin"


def test_a_refused_moderation_form_keeps_what_the_moderator_wrote(moderator_browser, member):
    thread = make_discussion(member, make_category())
    reason = "Going in circles. " * 150  # past the 2,000 characters a reason may have
    response = moderator_browser.submit(f"/t/{thread.id}", {"reason": reason},
                                        action=f"/t/{thread.id}/lock")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in page and "Nothing was changed yet" in page
    assert reason.strip() in page
    assert f'action="/t/{thread.id}/lock"' in page
    assert db.session.get(Thread, thread.id).locked_at is None
