"""The forum's own error pages; never a traceback."""

import logging

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from .. import text
from ..domain import drafts
from ..extensions import db, login_manager
from .security import url_parts

log = logging.getLogger("forum.errors")  # as operators know it

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to do that."),
    404: _l("We could not find that page. It may have been moved or removed."),
    405: _l("That action is not available here."),
    413: _l("That was too large to send. Please shorten it and try again."),
    429: _l("You are doing that too often. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing you typed was saved twice."),
    503: _l("The forum is briefly unavailable. Please try again in a minute."),
}

# A form sent while the database cannot write. "May": on Postgres the connection can
# drop after the commit reached the server; a resend is safe (submission tokens).
NOT_SAVED = _l("The forum cannot save anything at the moment, so what you sent may not "
               "have been saved. Please try again in a few minutes.")

SOMETHING_WRONG = _l("Something went wrong on our side, so what you sent may not have been "
                     "saved. We have logged the problem.")

# Seconds a 503 asks clients to wait (the Retry-After header).
RETRY_AFTER = 30

# Database errors that retrying will not cure: a missing check before a constraint, a
# value too long for its column, broken SQL. They are bugs (500), not an outage (503).
BUGS = (IntegrityError, DataError, ProgrammingError)

TITLES = {
    400: _l("Something was wrong with that request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Not available here"),
    413: _l("Too large to send"),
    429: _l("Please slow down"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}

_FALLBACK = (
    "<!doctype html><html lang={lang}><meta charset=utf-8><title>{code} {name}</title>"
    "<main><h1>{name}</h1><p>{message}</p><p><a href=/>{home}</a></p></main>"
)


def _language() -> str:
    try:
        return str(get_locale() or "en").replace("_", "-")
    except Exception:  # the fallback page must come out whatever failed
        return "en"


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
        body = _FALLBACK.format(code=code, name=escape(title), message=escape(message),
                                home=escape(_("Go to the forum's front page")),
                                lang=escape(_language()))
    response = error.get_response()
    response.set_data(body)
    response.mimetype = "text/html"
    return response


WRITING_FIELDS = ("title", "summary", "body", "tags", "references", "disclosure", "reason",
                  "note", "citation")
# Kept unseen: the once-only token, and the choice a label form or a report's
# resolution made, so that sending the text again does the same thing.
HIDDEN_FIELDS = ("submission", "label", "action")


def _from_this_site() -> bool:
    """Whether the browser says the refused form was sent from one of our own pages.
    A form posted from another site must not come back as a ready-to-send form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    parts = url_parts(request.headers.get("Origin") or request.headers.get("Referer") or "")
    return parts is not None and bool(parts.netloc) and parts.netloc == request.host


def _kept_text() -> list[tuple[str, str, str]]:
    """(name, kind, value) for the writing fields of a refused form, if it had any text."""
    # Kept as a form would store it (forum.text.normalise): text that is only control
    # characters has nothing to keep, and the page never carries what it cannot show.
    form = {name: text.normalise(value) for name, value in request.form.items()}
    if not _from_this_site() or not any(form.get(name, "").strip() for name in WRITING_FIELDS):
        return []
    fields = []
    for name in (*WRITING_FIELDS, *HIDDEN_FIELDS):
        if name in form:
            value = form[name]
            kind = ("hidden" if name in HIDDEN_FIELDS
                    else "textarea" if "\n" in value or len(value) > 120 or name == "body"
                    else "text")
            fields.append((name, kind, value))
    return fields


def rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback failed")


def forget_unloadable_user() -> None:
    """When the database is down the signed-in member cannot be loaded, and every
    later read of `current_user` (the error page, the request log) would try again
    and fail again, turning a 503 into a 500. For the rest of this request they are
    shown the page as a visitor; their session cookie is left as it is, so they are
    still signed in once the database is back."""
    try:
        current_user.is_authenticated  # noqa: B018 (loads the member if not loaded yet)
    except Exception:
        _as_visitor()


def _as_visitor() -> None:
    """The rest of this request sees the anonymous user. The one place that uses a
    private Flask-Login method (pyproject caps flask-login below 0.7 for it)."""
    rollback_quietly()
    login_manager._update_request_context_with_user()


def _end_session(_error) -> None:
    """Close the request's database session without letting a dead connection turn a
    finished response into the server's bare 500. Closing rolls back whatever is still
    open (a page's reads); if the database went away after the response was made, that
    ROLLBACK fails. Flask-SQLAlchemy's own teardown, which would raise, then finds
    nothing left to close."""
    try:
        db.session.remove()
    except Exception as error:
        log.warning("closing the database session failed (%s)", type(error).__name__)
        try:
            db.session.invalidate()  # drop the connection without talking to it
        except Exception:
            log.exception("invalidating the database session failed")
        db.session.registry.clear()


def _not_saved_page(code: int, title, message) -> str | None:
    """A refused form's text, back in a form ready to send again; None when the form
    had no text worth keeping (or came from another site)."""
    kept = _kept_text()
    if not kept:
        return None
    context = {"fields": kept, "action": request.path, "code": code, "title": title,
               "message": message,
               "once": any(name == "submission" for name, _kind, _value in kept)}
    try:
        return render_template("errors/not_saved.html", **context)
    except Exception:  # the layout read the database again (the member's details)
        log.exception("the not-saved page could not be rendered; trying as a visitor")
        _as_visitor()
        return render_template("errors/not_saved.html", **context)


# A form refused after it was loaded (signed out elsewhere, the thread locked or the
# category archived meanwhile, the member suspended, the thread gone): the page gives
# the text back with the reason, rather than a bare refusal that loses it.
REFUSED_WRITES = {400, 401, 403, 404}

SIGNED_OUT = _l("You are not signed in any more, so nothing was posted yet. This happens "
                "when your password is changed or two-step sign-in is turned on from another "
                "device, or when a sign-in is old enough to end.")


def _draft_key() -> str | None:
    """The refused form's draft key: its page's, or the one it carried (Save draft)."""
    return drafts.form_key() or drafts.valid_key(request.form.get("draft_key"))


def _kept_as_draft(key: str | None) -> bool:
    """A signed-in member's refused text also goes into their drafts, so it outlives
    this page. Never in the way of the page itself."""
    if key is None or not current_user.is_authenticated:
        return False
    try:
        rollback_quietly()
        return drafts.keep(current_user, key, request.form)
    except Exception:
        log.exception("a refused form could not be kept as a draft")
        rollback_quietly()
        return False


def _refused_write_page(error: HTTPException):
    """The kept-text page for a refused POST, with the reason; None when the form had
    no text worth keeping (or came from another site)."""
    kept = _kept_text()
    if not kept:
        return None
    code = error.code or 400
    described = error.description if error.description != type(error).description else ""
    signed_out = code == 401
    key = _draft_key()
    context = {
        "fields": kept, "action": request.path, "code": code,
        "title": _("You were signed out") if signed_out else TITLES.get(code, error.name),
        "message": SIGNED_OUT if signed_out else (described or MESSAGES.get(code, "")),
        "once": any(name in HIDDEN_FIELDS for name, _kind, _value in kept),
        "draft_key": key, "saved_as_draft": _kept_as_draft(key),
        "sign_in_next": drafts.form_page(key) if signed_out and key else None,
    }
    return render_template("errors/not_saved.html", **context), code


def _to_sign_in():
    """A POST refused for want of signing in, with no text to keep: the sign-in page,
    then the page the form was on (its POST address cannot be opened)."""
    key = _draft_key()
    back = drafts.form_page(key) if key else request.full_path.rstrip("?")
    return redirect(url_for("accounts.login", next=back))


def _after_failure(what: str, code: int, title, message) -> str | None:
    """Log a failed request, undo its transaction, and for a form post the page that
    keeps what was typed (None when there was nothing to keep)."""
    log.exception(what)
    rollback_quietly()
    forget_unloadable_user()
    if request.method == "POST":
        return _not_saved_page(code, title, message)
    return None


def init_app(app: Flask) -> None:
    # Registered after Flask-SQLAlchemy's teardown, so it runs before it.
    app.teardown_appcontext(_end_session)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        kept = _kept_text()
        if kept:
            # Someone wrote for a long time and their form expired: give the text back
            # in a fresh form that sends to the same place, rather than losing it.
            key = _draft_key()
            signed_out = not current_user.is_authenticated
            page = render_template("errors/csrf_kept.html", fields=kept, action=request.path,
                                   draft_key=key, sign_in_next=drafts.form_page(key)
                                   if signed_out and key else None)
            return page, 400
        error.description = _(
            "This form had expired or was sent from elsewhere, so nothing was saved. "
            "Please go back, reload the page and send it again."
        )
        return _render(error)

    @app.errorhandler(429)
    def too_many_requests(error):
        limit = getattr(error, "limit", None)
        seconds = limit.limit.get_expiry() if limit is not None else 60
        wait = (ngettext("%(num)d minute", "%(num)d minutes", seconds // 60)
                if seconds >= 120 else
                ngettext("%(num)d second", "%(num)d seconds", max(seconds, 1)))
        if request.method == "POST":
            # A refused reply, edit or preview: the text comes back, not just a hint
            # that Back might still have it (it often does not after a while).
            page = _not_saved_page(429, TITLES[429], _(
                "You have done that too often for now, so it was not saved. Please wait "
                "%(wait)s, then send it again.", wait=wait))
            if page is not None:
                return page, 429, {"Retry-After": str(seconds)}
        error.description = _(
            "You have done that too often for now. Please wait %(wait)s and try again. "
            "Anything you typed is still in the form if you go back.", wait=wait)
        return _render(error)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if (error.code or 500) >= 500:
            rollback_quietly()
        if request.method == "POST" and error.code in REFUSED_WRITES:
            try:
                page = _refused_write_page(error)
            except Exception:  # a body that cannot be read (the reason for a 400)
                log.exception("the kept-text page could not be made")
                page = None
            if page is not None:
                return page
        if error.code == 401:
            return _to_sign_in()
        return _render(error)

    @app.errorhandler(DBAPIError)
    def database_error(error):
        if isinstance(error, BUGS) and not error.connection_invalidated:
            return unexpected_error(error)
        # The database is down, restarting, read-only (a SQLite file made unwritable, a
        # Postgres replica) or busy: worth trying again in a while.
        page = _after_failure("database error", 503, _("We could not save that just now"),
                              NOT_SAVED)
        if page is not None:
            return page, 503, {"Retry-After": str(RETRY_AFTER)}
        unavailable = ServiceUnavailable(retry_after=RETRY_AFTER)
        if request.method == "POST":
            unavailable.description = NOT_SAVED
        return _render(unavailable), 503

    @app.errorhandler(Exception)
    def unexpected_error(error):
        page = _after_failure("unhandled error", 500, _("Something went wrong"), SOMETHING_WRONG)
        if page is not None:
            return page, 500
        return _render(InternalServerError()), 500
