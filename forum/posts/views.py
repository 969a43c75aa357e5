"""Posts: replies, edits, deletions and reports (routes arrive with the writing issue)."""

from flask import Blueprint

bp = Blueprint("posts", __name__)
