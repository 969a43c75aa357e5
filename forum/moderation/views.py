"""Moderation. Every route here is guarded once, by `before_request`."""

from flask import Blueprint
from flask_login import current_user

from ..permissions import can_moderate, require

bp = Blueprint("moderation", __name__)


@bp.before_request
def require_moderator():
    require(can_moderate(current_user))
