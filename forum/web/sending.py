"""Sending a writing form — a reply, a discussion, an article — exactly once."""

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_login import current_user

from ..domain import drafts, posts
from ..permissions import Refused, require

Written = TypeVar("Written")


def send_once(form, kind: str, write: Callable[[], Written],
              told: Callable[[Written], str]) -> Written | None:
    """Store what `form` holds with `write()`. A second send of the same form (its
    submission token) stores nothing and comes back as the form, offering to post the
    text as new (None is returned); a rule that changed while they wrote (a thread
    locked meanwhile) refuses with its reason. Otherwise the writer's drafts of it
    are forgotten and `told(written)` is flashed."""
    try:
        written = write()
    except Refused as refused:
        require(refused.decision)
    except posts.AlreadySent:
        drafts.sent_before(form, kind)
        return None
    drafts.forget_posted(current_user)
    flash(told(written), "success")
    return written
