"""The MS community forum: `create_app` builds the Flask application."""

import os
from pathlib import Path

from flask import Flask, Request, abort, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from . import cli, errors, requestlog, schema, security
from .config import load_config
from .extensions import csrf, db, limiter, login_manager, migrate
from .permissions import can

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` (tests, scripts) is applied over the environment's."""
    app = ForumFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(config or {})
    trust_proxies(app)
    app.url_map.converters["id"] = IdConverter
    app.before_request(_refuse_nul_in_path)
    register_extensions(app)
    register_blueprints(app)
    register_template_globals(app)
    requestlog.init_app(app)
    # After-request functions run last-registered first: the security headers go on
    # before anything else, so a failure later in finishing a response keeps them.
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


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


def _refuse_nul_in_path():
    if "\x00" in request.path:
        abort(404)


def register_extensions(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql") and "connect_timeout" not in url:
        # A database host that drops packets must give a 503 within seconds, not hang
        # every worker until gunicorn kills it.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        include_object=schema.include_object,
        render_item=schema.render_item,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    from .accounts.sessions import load_user

    login_manager.user_loader(load_user)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)


def _tune_sqlite(engine) -> None:
    from sqlalchemy import event
    from sqlalchemy.exc import DisconnectionError

    database = engine.url.database or ""
    # A plain file path; in-memory databases and `file:` URIs are left alone.
    path = database if database and database != ":memory:" and not database.startswith(
        "file:") else None

    def writable() -> bool:
        # The operator may make the file read-only (chmod, chattr +i) while the forum
        # runs. Connections opened before that would go on writing into the WAL and
        # fail later at a checkpoint; connections opened after it are read-only for
        # good. Asking the file itself (one access() call per transaction) makes every
        # worker refuse writes at once, and write again once the file is writable.
        return path is None or os.access(path, os.W_OK)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        # SQLAlchemy emits BEGIN itself (below), so a write can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        # WAL lets readers go on while one writer writes; the busy timeout makes
        # a second writer wait instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite silently opens an unwritable file read-only, and it stays so.
        record.info["opened_read_only"] = not writable()

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection, record, _proxy):
        if record.info.get("opened_read_only") and writable():
            raise DisconnectionError("the file is writable again; reconnecting")

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A form post may write, so it takes the write lock at BEGIN IMMEDIATE and
        # waits its turn there (busy_timeout), rather than reading first and failing
        # with "database is locked" when it writes. Page views only read: a deferred
        # BEGIN reads a snapshot and never blocks. Commands run alone, also deferred.
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        # An unwritable file: reads go on, and the first write fails ("attempt to
        # write a readonly database", a 503 with the text kept) after the member has
        # been loaded, so the page still knows who they are.
        read_only = not writable()
        if connection.info.get("query_only", False) != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            connection.info["query_only"] = read_only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing and not read_only else "BEGIN")


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .devmail import bp as devmail_bp
    from .health import bp as health_bp
    from .moderation.admin import bp as admin_bp
    from .moderation.views import bp as moderation_bp
    from .posts.views import bp as posts_bp
    from .threads.views import bp as threads_bp

    for bp in (threads_bp, posts_bp, accounts_bp, moderation_bp, admin_bp, health_bp,
               devmail_bp):
        app.register_blueprint(bp)


def register_template_globals(app: Flask) -> None:
    from . import dates, text
    from .accounts import preferences
    from .models import utcnow
    from .standing import standing_of

    app.jinja_env.globals.update(can=can, standing_of=standing_of,
                                 site_name=app.config["SITE_NAME"], now_utc=utcnow)
    app.context_processor(lambda: {"reading": preferences.current()})
    app.jinja_env.filters.update(
        excerpt=text.excerpt,
        date=dates.human_date,
        datetime=dates.human_datetime,
        ago=dates.time_ago,
        machine_time=dates.machine_datetime,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
