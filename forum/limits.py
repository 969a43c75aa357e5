"""Rate limits on writing, counted per member (per address for visitors), and
counters a service keeps itself (failed sign-ins per account).

Each decorator limit is read from config `RATELIMIT_<NAME>` and counts POSTs only:
reading a form is never limited, and a flood gets 429 before anything is written or
mailed.
"""

import logging
import time

from flask import current_app, request
from flask_login import current_user
from limits import parse_many

from .extensions import limiter

log = logging.getLogger(__name__)


def _member_key() -> str:
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{request.remote_addr}"


def _recipient_key() -> str:
    """Where the mail a request asks for would go: the member's own address, or the
    one a visitor typed (so many addresses cannot flood one inbox)."""
    if current_user.is_authenticated:
        email = current_user.email or ""
    else:
        email = request.form.get("email", "")
    email = email.strip().lower()[:254]
    return f"recipient:{email}" if email else _member_key()


def is_preview() -> bool:
    """A writing form's Preview button: it renders the text and stores nothing."""
    return "preview" in request.form


def _limit(name: str, key_func, counted_by: str = "", **options):
    return limiter.limit(lambda: current_app.config[f"RATELIMIT_{name}"], methods=["POST"],
                         key_func=key_func, scope=f"write:{name.lower()}{counted_by}",
                         **options)


def per_member(name: str):
    """Limit a view's POSTs by config RATELIMIT_<NAME>; a flood gets 429 before any write."""
    return _limit(name, _member_key)


def per_recipient(name: str):
    """Limit mail a view sends, per member or visitor and per address it goes to."""
    def decorate(view):
        # Two scopes: a visitor who typed no address is keyed by their own address in
        # both, and one request must not count twice against one bucket.
        return _limit(name, _member_key)(_limit(name, _recipient_key, ":recipient")(view))
    return decorate


def reading(exempt_when, on_breach):
    """Limit a page's GETs by RATELIMIT_READ, per signed-in account (one budget across
    every page it decorates). `exempt_when` says who is not counted (visitors, staff:
    the rules live above this module); `on_breach(limit)` runs once per refused request."""
    return limiter.shared_limit(lambda: current_app.config["RATELIMIT_READ"], scope="read",
                                key_func=_member_key, methods=["GET"],
                                exempt_when=exempt_when, on_breach=on_breach)


# Edits and previews cost a render each (up to text.MAX_SOURCE of Markdown) and an
# edit stores a revision, so they share one budget per member across every form.
_edits = limiter.shared_limit(lambda: current_app.config["RATELIMIT_EDIT"], scope="write:edit",
                              key_func=_member_key, methods=["POST"])
_previews = limiter.shared_limit(lambda: current_app.config["RATELIMIT_EDIT"],
                                 scope="write:edit", key_func=_member_key, methods=["POST"],
                                 exempt_when=lambda: not is_preview())


def editing(view):
    """Every POST of the edit form (a save or a preview) counts against RATELIMIT_EDIT."""
    return _edits(view)


def writing(view):
    """New text (a reply, a thread, an article) counts against RATELIMIT_POST when sent
    and against RATELIMIT_EDIT when previewed: previewing does not use up posting."""
    return _limit("POST", _member_key, exempt_when=is_preview)(_previews(view))


# -- counters kept by a service ------------------------------------------------------
# For limits that count only some outcomes and whose key is known only once the service
# has looked something up (the account behind a sign-in name): the decorator cannot key
# on that, and a decorator's 429 would not let the page offer a way round.

def _counting() -> bool:
    return bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))


def wait_seconds(name: str, key: str) -> int:
    """0 while `key` has RATELIMIT_<NAME> left, else the seconds until it has again."""
    if not _counting():
        return 0
    try:
        for item in parse_many(current_app.config[f"RATELIMIT_{name}"]):
            if not limiter.limiter.test(item, name.lower(), key):
                reset = limiter.limiter.get_window_stats(item, name.lower(), key).reset_time
                return max(1, int(reset - time.time()))
    except Exception:  # storage down (Redis): let the request through, as Flask-Limiter does
        log.warning("rate-limit storage failed; %s not checked", name, exc_info=True)
    return 0


def count(name: str, key: str) -> None:
    """Count one use of RATELIMIT_<NAME> against `key`."""
    if not _counting():
        return
    try:
        for item in parse_many(current_app.config[f"RATELIMIT_{name}"]):
            limiter.limiter.hit(item, name.lower(), key)
    except Exception:
        log.warning("rate-limit storage failed; %s not counted", name, exc_info=True)
