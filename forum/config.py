"""Configuration read from the environment (see ../shared/CONTRACT.md).

`load_config` is called once by `create_app`; tests pass their own mapping,
which is applied on top.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment cannot produce a safe configuration."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


def _list(name: str) -> list[str] | None:
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return items or None


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("FORUM_ENV=production needs SECRET_KEY set in the environment.")
    # Development only: generate a key once and keep it, so sessions survive restarts.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms often hand out postgres:// URLs; SQLAlchemy wants a driver name.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url
    instance_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_path / 'forum.db'}"


def load_config(instance_path: Path) -> dict:
    env = os.environ.get("FORUM_ENV", "development").strip().lower()
    production = env == "production"
    return {
        "FORUM_ENV": env,
        "DEBUG": False if production else _flag("FLASK_DEBUG", False),
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # hide_parameters: database errors in the log never carry what people wrote.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "HSTS": production,
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_LOGIN": "10 per minute;60 per hour",
        "RATELIMIT_LOGIN_ACCOUNT": "20 per hour",
        "RATELIMIT_REGISTER": "10 per hour",
        "RATELIMIT_RESET": "5 per hour",
        # Guesses at a two-step code, per account: signing in, turning it on or off.
        "RATELIMIT_TWO_FACTOR": "10 per 10 minutes;30 per hour",
        # Writing, per member: replies, new threads and articles, reports.
        "RATELIMIT_POST": os.environ.get("RATELIMIT_POST", "10 per minute;200 per day"),
        "RATELIMIT_FLAG": os.environ.get("RATELIMIT_FLAG", "10 per minute;50 per day"),
        # Saving drafts, per member: the button, and the background saves while typing.
        "RATELIMIT_DRAFT": os.environ.get("RATELIMIT_DRAFT", "30 per minute;3000 per day"),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Where links in mail sent from the command line point.
        "PUBLIC_URL": os.environ.get("FORUM_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 587),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "forum@localhost"),
        # A new member's first posts wait for a moderator (0 turns holding off).
        "HOLD_FIRST_POSTS": int(os.environ.get("HOLD_FIRST_POSTS") or 2),
        # Whether an account must confirm its email address before it may write.
        "REQUIRE_CONFIRMED_EMAIL_TO_POST": _flag("REQUIRE_CONFIRMED_EMAIL_TO_POST", False),
        # Long posts are welcome; a request body past this is refused with 413.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "THREADS_PER_PAGE": 25,
        # Where /articles/new files articles (the first category if it does not exist).
        "ARTICLE_CATEGORY": "research-news",
        "POSTS_PER_PAGE": 20,
        "SITE_NAME": "MS Community Forum",
        # Moderators and admins must turn on two-step sign-in before using the forum.
        # On by default in production; off elsewhere so scripted set-ups keep working.
        "REQUIRE_STAFF_TWO_FACTOR": _flag("REQUIRE_STAFF_TWO_FACTOR", production),
        # Host names this forum answers to (comma separated); others get 400.
        "TRUSTED_HOSTS": _list("TRUSTED_HOSTS"),
    }
