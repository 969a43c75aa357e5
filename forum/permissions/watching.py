"""Staying in touch: who may watch, mute and read notifications."""

from __future__ import annotations

from flask_babel import gettext as _

from .decisions import ALLOW, LOGIN, Decision, deny
from .people import _is_active, _signed_in, is_moderator


def can_watch(user, obj=None) -> Decision:
    """Choose how closely to follow a thread, category or tag; read notifications."""
    if not _signed_in(user):
        return Decision(False, LOGIN)
    if not _is_active(user):
        return deny(403, _("This account is closed."))
    return ALLOW


def can_mute_member(user, other=None) -> Decision:
    """Mute (or unmute) another member: never yourself. Staff may be muted too, but
    what moderators tell you about your own posts still arrives."""
    decision = can_watch(user)
    if not decision:
        return decision
    if other is None or other.deleted_at is not None:
        return deny(404, "")
    if other.id == user.id:
        return deny(403, _("You cannot mute yourself."))
    return ALLOW


def can_ignore(user, other=None) -> Decision:
    """Ignore another member (their posts collapse for you, and they notify you of
    nothing). Never yourself, and never staff: moderators and admins must be able to
    reach everyone."""
    decision = can_watch(user)
    if not decision:
        return decision
    if other is None or other.deleted_at is not None:
        return deny(404, "")
    if other.id == user.id:
        return deny(403, _("You cannot ignore yourself."))
    if is_moderator(other):
        return deny(403, _("Moderators and admins cannot be ignored: they need to be able "
                           "to reach everyone."))
    return ALLOW
