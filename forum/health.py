"""`/healthz`: 200 when the app and its database answer, 503 otherwise."""

import logging

from flask import Blueprint
from sqlalchemy import text

from .extensions import db
from .web import errors

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check: the database does not answer (%s)", type(error).__name__)
        errors.rollback_quietly()
        # A browser's session cookie would make the request log load the member.
        errors.forget_unloadable_user()
        return {"status": "unavailable", "database": "down"}, 503, {"Retry-After": "30"}
    return {"status": "ok", "database": "up"}
