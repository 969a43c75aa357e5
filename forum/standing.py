"""A member's standing: active, suspended until a date, or banned, with the reason.

The one place that compares `User.suspended_until` with the clock. A suspension
ends by itself when that time passes (nothing clears the column), so whoever reads
the columns alone would show an ended suspension as current: forum.permissions asks
here whether someone may write, and pages ask here what to show (`standing_of` is a
Jinja global), so the rule and the page cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import User, utcnow

ACTIVE = "active"
SUSPENDED = "suspended"
BANNED = "banned"


@dataclass(frozen=True)
class Standing:
    state: str
    # When a suspension ends; None when active or banned (a ban does not end).
    until: datetime | None = None
    reason: str = ""

    @property
    def is_active(self) -> bool:
        return self.state == ACTIVE

    @property
    def is_suspended(self) -> bool:
        return self.state == SUSPENDED

    @property
    def is_banned(self) -> bool:
        return self.state == BANNED


def standing_of(user: User, now: datetime | None = None) -> Standing:
    """Where `user` stands at `now` (the current time by default). A ban outranks a
    suspension; a suspension whose end has passed is no sanction at all."""
    if user.banned_at is not None:
        return Standing(BANNED, reason=user.suspension_reason)
    if user.suspended_until is not None and user.suspended_until > (now or utcnow()):
        return Standing(SUSPENDED, until=user.suspended_until, reason=user.suspension_reason)
    return Standing(ACTIVE)
