"""Reading faster than a person could (RATELIMIT_READ): thread pages and profiles are
counted per signed-in account, not for visitors nor staff; past the limit a calm 429
with Retry-After, and one FAST_READING alert for moderators."""

import pytest
from sqlalchemy import select

from forum import create_app
from forum.extensions import db, limiter
from forum.models import SafetyAlert
from tests.conftest import Browser, RequestClient
from tests.factories import make_category, make_discussion


@pytest.fixture
def limited(app):
    limited_app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                              "RATELIMIT_STORAGE_URI": "memory://",
                              "RATELIMIT_READ": "3 per minute"})
    limited_app.test_client_class = RequestClient
    limiter.reset()
    yield limited_app
    limiter.reset()
    limiter.enabled = False


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def alerts():
    db.session.expire_all()
    return db.session.scalars(select(SafetyAlert)).all()


def test_a_fast_reader_is_slowed_and_shown_to_moderators(limited, member, other_member):
    thread = make_discussion(other_member, make_category())
    reader = signed_in(limited, member)
    paths = [f"/t/{thread.id}", f"/t/{thread.id}/{thread.slug}", "/u/sam"]
    assert [reader.get(path).status_code for path in paths] == [200, 200, 200]
    refused = reader.get(f"/t/{thread.id}?page=1")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert "Please wait" in refused.get_data(as_text=True)
    assert reader.get("/u/sam").status_code == 429
    [alert] = alerts()
    assert (alert.kind, alert.key, alert.subject_id) == (
        "fast_reading", f"reading:user:{member.id}", member.id)
    assert "3 per 1 minute" in alert.detail
    assert reader.get("/").status_code == 200  # other pages are not counted


def test_visitors_and_staff_are_not_counted(limited, moderator, other_member):
    thread = make_discussion(other_member, make_category())
    visitor = limited.test_client()
    assert {visitor.get(f"/t/{thread.id}").status_code for _ in range(5)} == {200}
    staff = signed_in(limited, moderator)
    assert {staff.get(f"/t/{thread.id}").status_code for _ in range(5)} == {200}
    assert alerts() == []


def test_each_account_has_its_own_budget(limited, member, other_member):
    thread = make_discussion(other_member, make_category())
    first, second = signed_in(limited, member), signed_in(limited, other_member)
    for _ in range(3):
        first.get(f"/t/{thread.id}")
    assert first.get(f"/t/{thread.id}").status_code == 429
    assert second.get(f"/t/{thread.id}").status_code == 200
    assert [a.subject_id for a in alerts()] == [member.id]
