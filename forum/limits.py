"""Rate limits on writing, counted per member (per address for visitors)."""

from flask import current_app, request
from flask_login import current_user

from .extensions import limiter


def _member_key() -> str:
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{request.remote_addr}"


def per_member(name: str):
    """Limit a view's POSTs by config RATELIMIT_<NAME>; a flood gets 429 before any write."""
    return limiter.limit(lambda: current_app.config[f"RATELIMIT_{name}"], methods=["POST"],
                         key_func=_member_key, scope=f"write:{name.lower()}")
