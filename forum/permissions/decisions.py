"""A rule's answer, and how a view enforces it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, request, url_for

LOGIN = "login"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int | str = 200
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(status: int | str, reason: str) -> Decision:
    return Decision(False, status, reason)


class Refused(Exception):
    """Raised by a service that re-checks a rule inside its transaction (a race lost)."""

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


# Someone who may not see a thread or post is told only that there is nothing here:
# the same page as for an id that never existed, so an id's 404 does not say that it
# was deleted, hidden or held. The author and moderators, who know, get the reason.
NOT_FOUND = Decision(False, 404, "")


def require(decision: Decision) -> None:
    """Stop the request unless `decision` allows it: anonymous users go to sign in."""
    if decision:
        return
    if decision.status == LOGIN:
        if request.method == "POST":
            # Signed out while writing: forum.errors gives the text back, or sends
            # them to sign in when there is none.
            abort(401, decision.reason)
        abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
    abort(decision.status, decision.reason)
