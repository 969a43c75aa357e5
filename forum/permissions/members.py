"""Accounts and staff: settings, reports of members, moderation and administration."""

from __future__ import annotations

from flask_babel import gettext as _

from ..models import ExpertVerification, ProfileVisibility, Role, Thread, User
from .decisions import ALLOW, LOGIN, Decision, deny
from .people import _member, _signed_in, is_admin, is_moderator, is_suspended, suspension_notice


def can_manage_account(user, obj=None) -> Decision:
    return _member(user, "change your settings")


def can_edit_profile(user, obj=None) -> Decision:
    """The public profile is writing others read: suspended members keep their private
    settings but leave their name and bio as they are until the suspension ends."""
    decision = _member(user, "change your profile")
    if decision and is_suspended(user):
        return deny(403, suspension_notice(user))
    return decision


def can_view_profile(user, member: User) -> Decision:
    """A profile is the member's to open or close (#14): one kept for members shows a
    signed-out visitor only that it exists, with a way to sign in. Their posts link to
    it either way."""
    if member.profile_visibility == ProfileVisibility.MEMBERS.value and not _signed_in(user):
        return deny(LOGIN, _("This member’s profile is visible to signed-in members."))
    return ALLOW


def can_report_user(user, subject: User) -> Decision:
    decision = _member(user, "report a member")
    if decision and subject.id == user.id:
        return deny(403, _("You cannot report yourself."))
    return decision


def can_see_own_reports(user, obj=None) -> Decision:
    return _member(user, "see your reports")


# -- staff -----------------------------------------------------------------

def needs_two_factor(user, required: bool) -> bool:
    """Staff hold other people's private words: where the community requires it
    (REQUIRE_STAFF_TWO_FACTOR), moderators and admins sign in in two steps."""
    return required and is_moderator(user)


def must_set_up_two_factor(user, required: bool) -> bool:
    """Staff who need two-step sign-in turn it on before doing anything else."""
    return needs_two_factor(user, required) and not user.has_two_factor


def _staff(user, action: str, of_rank, refusal: str) -> Decision:
    """Staff rules: signed in, of the rank (`of_rank(user)`), and not suspended. Staff an
    admin suspended or banned keep reading as staff (hidden posts too), but, like any
    suspended member, change nothing: no moderation, no admin pages."""
    decision = _member(user, action)
    if decision and not of_rank(user):
        return deny(403, refusal)
    if decision and is_suspended(user):
        return deny(403, suspension_notice(user))
    return decision


def can_moderate(user, obj=None) -> Decision:
    return _staff(user, "moderate", is_moderator, _("Only moderators can do that."))


def can_lock_thread(user, thread: Thread) -> Decision:
    return can_moderate(user, thread)


def can_suspend(user, subject: User) -> Decision:
    decision = can_moderate(user)
    if not decision:
        return decision
    if subject.id == user.id:
        return deny(403, _("You cannot suspend yourself."))
    if subject.role in (Role.MODERATOR, Role.ADMIN) and not is_admin(user):
        return deny(403, _("Only admins can suspend moderators and admins."))
    return ALLOW


def _admin_on_another(user, subject_id: int, refusal: str) -> Decision:
    """Admin actions an admin never takes on their own account."""
    decision = can_administer(user)
    if decision and subject_id == user.id:
        return deny(403, refusal)
    return decision


def can_ban(user, subject: User) -> Decision:
    return _admin_on_another(user, subject.id, _("You cannot ban yourself."))


def can_lift(user, subject: User) -> Decision:
    """Lifting a sanction takes the power to impose it: a moderator lifts a suspension,
    only an admin lifts a ban (lifting clears both)."""
    if subject.banned_at is None:
        return can_suspend(user, subject)
    if can_moderate(user) and not is_admin(user):
        return deny(403, _("Only an admin can lift a ban."))
    return can_ban(user, subject)


def can_change_role(user, subject: User) -> Decision:
    return _admin_on_another(user, subject.id,
                             _("You cannot change your own role; ask another admin."))


def can_reset_two_factor(user, subject: User) -> Decision:
    """For a member who lost both phone and recovery codes; one's own is turned off
    in settings, with a code."""
    return _admin_on_another(user, subject.id,
                             _("Turn off your own two-step sign-in from your settings."))


def can_review_verifications(user, obj=None) -> Decision:
    return can_administer(user, obj)


def can_decide_verification(user, verification: ExpertVerification) -> Decision:
    return _admin_on_another(user, verification.user_id,
                             _("Another admin decides your own request."))


def can_administer(user, obj=None) -> Decision:
    return _staff(user, "continue", is_admin, _("Only admins can do that."))
