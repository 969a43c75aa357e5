"""Rate limits on writing, counted per member (per address for visitors), and
counters a service keeps itself (failed sign-ins per account)."""

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


def per_member(name: str):
    """Limit a view's POSTs by config RATELIMIT_<NAME>; a flood gets 429 before any write."""
    return limiter.limit(lambda: current_app.config[f"RATELIMIT_{name}"], methods=["POST"],
                         key_func=_member_key, scope=f"write:{name.lower()}")


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
