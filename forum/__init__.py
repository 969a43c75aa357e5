"""The MS community forum: `create_app` builds the Flask application."""

from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import create_engine

from . import cli, i18n, requestlog, schema, sqlite
from .config import load_config
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .permissions import can
from .web import errors, http, page_cache, security

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` (tests, scripts) is applied over the environment's."""
    app = http.ForumFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(config or {})
    http.trust_proxies(app)
    app.url_map.converters["id"] = http.IdConverter
    http.version_static_urls(app)
    app.before_request(http.refuse_nul_in_path)
    app.before_request(http.read_from_replica)
    register_extensions(app)
    register_blueprints(app)
    register_template_globals(app)
    requestlog.init_app(app)
    page_cache.init_app(app)  # visitors' public pages, answered before any view
    # After-request functions run last-registered first: the security headers go on
    # before anything else, so a failure later in finishing a response keeps them.
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql") and "connect_timeout" not in url:
        # A database host that drops packets must give a 503 within seconds, not hang
        # every worker until gunicorn kills it.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
        # No JIT: Postgres compiles a query it expects to be costly, and its estimate
        # for a page of a long thread is far off (76,000 rows for the 20 it reads), so
        # every such page spent 10–400 ms compiling what runs in 1 ms.
        options["connect_args"].setdefault("options", "-c jit=off")
    db.init_app(app)
    if app.config.get("DATABASE_REPLICA_URL"):
        replica = app.config["DATABASE_REPLICA_URL"]
        app.extensions["read_replica"] = create_engine(
            replica, pool_pre_ping=True, hide_parameters=True,
            connect_args={"connect_timeout": 5, "options": "-c jit=off"}
            if replica.startswith("postgresql") else {})
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
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    babel.init_app(app, default_locale=app.config["DEFAULT_LOCALE"],
                   default_timezone=app.config["DEFAULT_TIMEZONE"],
                   locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    # Flask-Babel keeps its choice on `g`, which outlives a request when an app context
    # was pushed around it (tests, scripts): each request chooses afresh, first of all.
    app.before_request_funcs.setdefault(None, []).insert(0, i18n.forget_choice)
    app.after_request(i18n.vary_on_language)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the message in the page's language, as flashed
    from .domain.sessions import load_user

    login_manager.user_loader(load_user)
    app.after_request(http.note_member_seen)  # immediate mail waits while a member is here
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sqlite.tune(db.engine)


def register_blueprints(app: Flask) -> None:
    from . import (
        accounts,
        admin,
        devmail,
        health,
        moderation,
        notifications,
        posts,
        settings,
        threads,
    )

    for package in (threads, posts, accounts, settings, moderation, admin, notifications, health,
                    devmail):
        app.register_blueprint(package.bp)


def page_language() -> str:
    """The selected locale as an HTML lang value ("en", "es", "pt-BR")."""
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale).replace("_", "-") if locale else "en"


def register_template_globals(app: Flask) -> None:
    from . import dates, text
    from .models import utcnow
    from .standing import standing_of
    from .web import log_words, preferences

    app.jinja_env.globals.update(can=can, standing_of=standing_of,
                                 site_name=app.config["SITE_NAME"], now_utc=utcnow,
                                 page_language=page_language, language_names=i18n.language_names,
                                 action_label=log_words.action_label,
                                 log_reason=log_words.log_reason,
                                 held_reason=log_words.held_reason)
    app.context_processor(lambda: {"reading": preferences.current()})
    app.jinja_env.filters.update(
        excerpt=text.excerpt,
        date=dates.human_date,
        datetime=dates.human_datetime,
        ago=dates.time_ago,
        machine_time=dates.machine_datetime,
        number=dates.number,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
