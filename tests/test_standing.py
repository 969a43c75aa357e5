"""A member's standing (forum.standing): a suspension ends by itself when its time
passes, and every page and rule says so at once."""

import re
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import utcnow
from forum.permissions import is_suspended
from forum.standing import standing_of
from tests.conftest import Browser
from tests.factories import make_category


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def _suspend(user, days, reason="Cooling-off period."):
    user.suspended_until = utcnow() + timedelta(days=days)
    user.suspension_reason = reason
    db.session.commit()


def _state_on_member_list(browser, username):
    page = browser.get("/admin/users").get_data(as_text=True)
    row = re.search(rf">{username}</a></td>(.*?)</tr>", page, re.DOTALL)
    assert row, f"{username} is not on the member list"
    return re.findall(r"<td>(.*?)</td>", row.group(1))[-1]


def test_an_ended_suspension_shows_as_active_everywhere(
        app, member, moderator_browser, admin):
    make_category()
    _suspend(member, days=-1)

    profile = moderator_browser.get(f"/u/{member.username}").get_data(as_text=True)
    assert "Moderate this member" in profile
    assert "Suspended until" not in profile
    assert "Lift the suspension" not in profile
    assert _state_on_member_list(signed_in(app, admin), member.username) == "active"
    # The rule agrees with the pages: the member writes again.
    assert signed_in(app, member).get("/c/living-with-ms/new").status_code == 200


def test_a_current_suspension_shows_until_when_and_why(app, member, moderator_browser, admin):
    make_category()
    _suspend(member, days=7)
    until = standing_of(member).until

    profile = moderator_browser.get(f"/u/{member.username}").get_data(as_text=True)
    assert "Suspended until" in profile and "Cooling-off period." in profile
    assert "Lift the suspension" in profile
    state = _state_on_member_list(signed_in(app, admin), member.username)
    assert state.startswith("suspended until ") and str(until.year) in state
    assert signed_in(app, member).get("/c/living-with-ms/new").status_code == 403


def test_a_ban_shows_as_banned_whatever_the_suspension_says(app, member, moderator_browser,
                                                           admin):
    _suspend(member, days=-1, reason="Repeated spam.")
    member.banned_at = utcnow()
    db.session.commit()

    profile = moderator_browser.get(f"/u/{member.username}").get_data(as_text=True)
    assert "Banned from writing: Repeated spam." in profile
    assert _state_on_member_list(signed_in(app, admin), member.username) == "banned"


@pytest.mark.parametrize("days, banned, state", [
    (None, False, "active"),
    (-1, False, "active"),
    (0, False, "active"),  # ends at that moment
    (1, False, "suspended"),
    (-1, True, "banned"),
    (None, True, "banned"),
])
def test_standing_and_the_writing_rule_agree(member, days, banned, state):
    now = utcnow()
    member.suspended_until = None if days is None else now + timedelta(days=days)
    member.banned_at = now if banned else None
    standing = standing_of(member, now=now)
    assert standing.state == state
    assert standing.until == (member.suspended_until if state == "suspended" else None)
    if days != 0:  # is_suspended reads the clock itself, a moment later
        assert is_suspended(member) == (state != "active")
