"""A form writes only the fields it names: extra fields posted with it (a role, an
owner, a decision) change nothing. Each service takes its values by name, never a
whole form or request.form."""

import pytest
from sqlalchemy import select

from forum.domain import verification
from forum.extensions import db
from forum.models import CommunitySetting, ExpertVerification, ModerationEvent, User
from tests.conftest import Browser

DETAILS = {"credentials": "Consultant neurologist", "affiliation": "City Hospital",
           "register_name": "GMC", "register_number": "1234567",
           "evidence_url": "https://example.org/gmc/1234567"}

# Columns of a user and of a verification request that no member's form may write.
SMUGGLED = {
    "role": "admin", "username": "admin_lee2", "email": "evil@example.org",
    "established_at": "", "banned_at": "", "suspended_until": "", "totp_secret": "X",
    "credentials_checked": "y", "status": "approved", "checked_register": "y",
    "checked_number": "y", "checked_link": "y", "decision_reason": "Looks fine.",
    "decided_at": "2024-01-01", "text_size": "largest",
}


def signed_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def _unchanged(user, before):
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert (fresh.role, fresh.username, fresh.email, fresh.banned_at, fresh.suspended_until,
            fresh.totp_secret) == before


def _identity(user):
    return user.role, user.username, user.email, user.banned_at, user.suspended_until, \
        user.totp_secret


def test_a_verification_request_writes_only_its_five_details(app, member, other_member, admin):
    before = _identity(member)
    sent = signed_in(app, member).submit("/settings/verification", {
        **DETAILS, **SMUGGLED, "user_id": str(other_member.id), "id": "1",
        "decided_by_id": str(admin.id)})
    assert sent.status_code == 302

    db.session.expire_all()
    [request] = db.session.scalars(select(ExpertVerification)).all()
    assert request.user_id == member.id
    assert {name: getattr(request, name) for name in DETAILS} == DETAILS
    assert request.status == "pending" and request.decision_reason == ""
    assert request.decided_at is None and request.decided_by_id is None
    assert not (request.checked_register or request.checked_number or request.checked_link)
    _unchanged(member, before)


def test_the_service_refuses_a_detail_it_does_not_name(app, member):
    with pytest.raises(TypeError):
        verification.request_verification(member, **DETAILS, status="approved")


def test_the_profile_form_writes_only_the_profile(app, member):
    before = _identity(member)
    saved = signed_in(app, member).submit("/settings", {
        "display_name": "Maria M", "bio": "Diagnosed in 2019.", **SMUGGLED,
        "conflicts": "Paid by a drug maker."})  # an expert's field, not a member's
    assert saved.status_code == 302
    _unchanged(member, before)
    fresh = db.session.get(User, member.id)
    assert (fresh.display_name, fresh.bio) == ("Maria M", "Diagnosed in 2019.")
    assert fresh.conflicts == "" and fresh.credentials == "" and fresh.text_size == "normal"


def test_the_reading_preferences_write_only_the_preferences(app, member):
    before = _identity(member)
    saved = signed_in(app, member).submit("/settings/preferences", {
        **SMUGGLED, "text_size": "large", "high_contrast": "y",
        "bio": "Hijacked", "display_name": "Hijacked"})
    assert saved.status_code == 302
    _unchanged(member, before)
    fresh = db.session.get(User, member.id)
    assert (fresh.text_size, fresh.high_contrast) == ("large", True)
    assert fresh.bio == "" and fresh.display_name == ""


def test_the_community_settings_page_writes_only_its_settings(app, admin):
    saved = signed_in(app, admin).submit("/admin/settings", {
        "HOLD_FIRST_POSTS": "7", "DELETED_RETENTION_DAYS": "1", "RATELIMIT_ENABLED": "",
        "REQUIRE_STAFF_TWO_FACTOR": "", "SECRET_KEY": "known"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert set(db.session.scalars(select(CommunitySetting.key))) <= {
        "HOLD_FIRST_POSTS", "REQUIRE_CONFIRMED_EMAIL_TO_POST"}
    assert db.session.get(CommunitySetting, "HOLD_FIRST_POSTS").value == "7"
    logged = db.session.scalars(select(ModerationEvent.reason)
                                .where(ModerationEvent.action == "setting")).all()
    assert logged and all("retention" not in reason.lower() for reason in logged)
