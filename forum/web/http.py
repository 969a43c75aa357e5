"""The app's HTTP plumbing: which proxies to believe, the id converter, and a request
that never carries a NUL character."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Request, abort, current_app, g, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from ..domain import mail
from ..extensions import db

STATIC_MAX_AGE = 365 * 24 * 3600  # a year: static addresses carry their contents' hash


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the visitor's address (rate limits) and
    scheme come from the X-Forwarded-For and -Proto entries those proxies added; the
    header a visitor sends themselves is never believed. Host is not taken from
    X-Forwarded-Host: the proxy passes Host on, and TRUSTED_HOSTS checks it."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)


class IdConverter(IntegerConverter):
    """Database ids: positive and within a 32-bit integer, so a huge number is a 404
    rather than an overflow in the database driver. ASCII digits only: werkzeug's
    digit pattern also matches "٣" and "３", which would give a page a second address."""

    regex = "[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


class ForumRequest(Request):
    """NUL characters cannot be stored (Postgres refuses them), so they never get in."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @cached_property
    def args(self):
        return _without_nul(super().args)

    @cached_property
    def cookies(self):
        # Every cookie this forum sets is ASCII; another value was not made here, and
        # some readers of it fail outright (Flask-Login's remember cookie: TypeError).
        return type(super().cookies)(
            (k, v) for k, v in super().cookies.items(multi=True) if v.isascii())


def _without_nul(data):
    return type(data)((k.replace("\x00", ""), v.replace("\x00", ""))
                      for k, v in data.items(multi=True))


class ForumFlask(Flask):
    request_class = ForumRequest

    def get_send_file_max_age(self, filename):
        """A year for a static address that names its version (`?v=`, see
        `version_static_urls`); otherwise the browser asks again each time."""
        if request.args.get("v"):
            return STATIC_MAX_AGE
        return super().get_send_file_max_age(filename)


def refuse_nul_in_path():
    if "\x00" in request.path:
        abort(404)


def note_member_seen(response):
    """A signed-in member's last_seen_at (their immediate mail waits while they are here),
    at most once a minute; never for static files or the health check."""
    if request.endpoint in (None, "static", "health.healthz") or response.status_code >= 500:
        return response
    if current_user.is_authenticated:
        try:
            mail.note_seen(current_user)
        except SQLAlchemyError:  # a busy database must not cost the member their page
            db.session.rollback()
            current_app.logger.warning("last_seen_at not recorded", exc_info=True)
    return response


def version_static_urls(app: Flask) -> None:
    """`url_for('static', …)` adds `?v=` and the first characters of the file's hash, so
    a static file's address changes with its contents: the forum (and nginx in front of
    it) can then tell browsers to keep static files for a year (docs/deploy.md)."""
    folder = Path(app.static_folder)

    @lru_cache(maxsize=256)
    def version(filename: str) -> str | None:
        try:
            return hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
        except OSError:  # not a file there: the URL stays as it was
            return None

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            found = version(values["filename"])
            if found:
                values["v"] = found


# Reads that may lag the primary by a second or two: full-text search and the public
# feeds. A member's own pages never read the replica.
REPLICA_ENDPOINTS = frozenset({"threads.search_page", "threads.thread_search", "threads.feed",
                               "threads.tag_feed"})


def read_from_replica():
    """Before each request: search and the public feeds read DATABASE_REPLICA_URL when it
    is set (extensions.ReplicaSession routes their SELECTs)."""
    if request.endpoint in REPLICA_ENDPOINTS:
        g.read_replica = True
