"""The forum's own error pages; never a traceback."""

import logging
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "We could not find that page. It may have been moved or removed.",
    405: "That action is not available here.",
    413: "That was too large to send. Please shorten it and try again.",
    429: "You are doing that too often. Please wait a moment and try again.",
    500: "Something went wrong on our side. Nothing you typed was saved twice.",
    503: "The forum is briefly unavailable. Please try again in a minute.",
}

TITLES = {
    400: "Something was wrong with that request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not available here",
    413: "Too large to send",
    429: "Please slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}

_FALLBACK = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{code} {name}</title>"
    "<main><h1>{name}</h1><p>{message}</p><p><a href=/>Go to the forum's front page</a></p></main>"
)


def _render(error: HTTPException):
    code = error.code or 500
    # A reason we chose (permissions.require passes one) is shown; werkzeug's defaults are not.
    described = error.description if error.description != type(error).description else ""
    message = described or MESSAGES.get(code, error.name)
    title = TITLES.get(code, error.name)
    try:
        body = render_template("errors/error.html", code=code, title=title, message=message)
    except Exception:  # the page itself may need the database that just failed
        log.exception("error page could not be rendered")
        body = _FALLBACK.format(code=code, name=title, message=message)
    response = error.get_response()
    response.set_data(body)
    response.mimetype = "text/html"
    return response


WRITING_FIELDS = ("title", "summary", "body", "tags", "references", "disclosure", "reason",
                  "note")
HIDDEN_FIELDS = ("submission",)


def _from_this_site() -> bool:
    """Whether the browser says the refused form was sent from one of our own pages.
    A form posted from another site must not come back as a ready-to-send form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(origin) and urlsplit(origin).netloc == request.host


def _kept_text() -> list[tuple[str, str, str]]:
    """(name, kind, value) for the writing fields of a refused form, if it had any text."""
    form = request.form
    if not _from_this_site() or not any(form.get(name, "").strip() for name in WRITING_FIELDS):
        return []
    fields = []
    for name in (*WRITING_FIELDS, *HIDDEN_FIELDS):
        if name in form:
            value = form.get(name, "")
            kind = ("hidden" if name in HIDDEN_FIELDS
                    else "textarea" if "\n" in value or len(value) > 120 or name == "body"
                    else "text")
            fields.append((name, kind, value))
    return fields


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback failed")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        kept = _kept_text()
        if kept:
            # Someone wrote for a long time and their form expired: give the text back
            # in a fresh form that sends to the same place, rather than losing it.
            page = render_template("errors/csrf_kept.html", fields=kept, action=request.path)
            return page, 400
        error.description = (
            "This form had expired or was sent from elsewhere, so nothing was saved. "
            "Please go back, reload the page and send it again."
        )
        return _render(error)

    @app.errorhandler(429)
    def too_many_requests(error):
        limit = getattr(error, "limit", None)
        seconds = limit.limit.get_expiry() if limit is not None else 60
        wait = f"{seconds // 60} minutes" if seconds >= 120 else f"{max(seconds, 1)} seconds"
        error.description = (
            f"You have done that too often for now. Please wait {wait} and try again. "
            "Anything you typed is still in the form if you go back."
        )
        return _render(error)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if (error.code or 500) >= 500:
            _rollback()
        return _render(error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_error(error):
        log.exception("database error")
        _rollback()
        return _render(ServiceUnavailable()), 503

    @app.errorhandler(Exception)
    def unexpected_error(error):
        log.exception("unhandled error")
        _rollback()
        return _render(InternalServerError()), 500
