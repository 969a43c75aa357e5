"""Configuration read from the environment (see ../shared/CONTRACT.md).

`load_config` is called once by `create_app`; tests pass their own mapping,
which is applied on top.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet


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


def _days(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{name} must be a whole number of days, not {raw!r}.")
    return int(raw)
def _count(name: str, default: int = 0) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isascii() or not value.isdigit():
        raise ConfigError(f"{name} must be a whole number (0 or more), not {value!r}.")
    return int(value)


DATA = Path(__file__).parent / "data"


def _data_text(name: str) -> str:
    """A community list's default (forum/data/<name>), which admins may replace."""
    path = DATA / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("FORUM_ENV=production needs SECRET_KEY set in the environment.")
    return _kept_in_instance(instance_path, "secret_key", lambda: secrets.token_hex(32))


def _kept_in_instance(instance_path: Path, name: str, make) -> str:
    """Development only: a key generated once and kept, so it survives restarts."""
    key_file = instance_path / name
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = make()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def totp_keys(value: str | list[str]) -> list[bytes]:
    """TOTP_ENCRYPTION_KEY as Fernet keys, newest first (several, comma-separated, while
    a rotation is under way); refuses anything that is not a Fernet key."""
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = [item.strip().encode() for item in items if item.strip()]
    if not keys:
        raise ConfigError("TOTP_ENCRYPTION_KEY is empty.")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"TOTP_ENCRYPTION_KEY: key {number} is not a Fernet key (make one with "
                "python3 -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            ) from None
    return keys


def _totp_encryption_key(instance_path: Path, production: bool) -> str:
    # Kept apart from the database, so a copy of the database alone (a leaked backup)
    # does not give away anyone's second step.
    value = os.environ.get("TOTP_ENCRYPTION_KEY", "").strip()
    if not value:
        if production:
            raise ConfigError("FORUM_ENV=production needs TOTP_ENCRYPTION_KEY set in the "
                              "environment (see README, Configuration).")
        value = _kept_in_instance(instance_path, "totp_key",
                                  lambda: Fernet.generate_key().decode())
    totp_keys(value)
    return value


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


def _replica_url() -> str | None:
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url or None


def load_config(instance_path: Path) -> dict:
    env = os.environ.get("FORUM_ENV", "development").strip().lower()
    production = env == "production"
    return {
        "FORUM_ENV": env,
        "DEBUG": False if production else _flag("FLASK_DEBUG", False),
        "SECRET_KEY": _secret_key(instance_path, production),
        "TOTP_ENCRYPTION_KEY": _totp_encryption_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # A streaming replica for search and the public feeds (docs/deploy.md).
        "DATABASE_REPLICA_URL": _replica_url(),
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
        # Redis down: limits go on counting per process in memory (logged) rather
        # than every limited request failing; they go back to Redis when it answers.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_LOGIN": "10 per minute;60 per hour",
        "RATELIMIT_LOGIN_ACCOUNT": "20 per hour",
        "RATELIMIT_REGISTER": "10 per hour",
        "RATELIMIT_RESET": "5 per hour",
        # Guesses at a two-step code, per account: signing in, turning it on or off.
        "RATELIMIT_TWO_FACTOR": "10 per 10 minutes;30 per hour",
        # Writing, per member: replies, new threads and articles, reports.
        "RATELIMIT_POST": os.environ.get("RATELIMIT_POST", "10 per minute;200 per day"),
        "RATELIMIT_FLAG": os.environ.get("RATELIMIT_FLAG", "10 per minute;50 per day"),
        # Edits and previews, per member across every form: each renders the text, and
        # an edit may store a revision.
        "RATELIMIT_EDIT": os.environ.get("RATELIMIT_EDIT", "10 per minute;300 per day"),
        # Confirmation links sent again, per member (or visitor) and per address.
        "RATELIMIT_RESEND": "3 per hour;10 per day",
        # Saving drafts, per member: the button, and the background saves while typing.
        "RATELIMIT_DRAFT": os.environ.get("RATELIMIT_DRAFT", "30 per minute;3000 per day"),
        # "This helped me" and choosing an answer, per member.
        "RATELIMIT_HELPFUL": os.environ.get("RATELIMIT_HELPFUL", "30 per minute;1000 per day"),
        # Reading threads and profiles, per signed-in account: faster than a person could
        # read is slowed (429) and shown to moderators (scraping a patient community).
        "RATELIMIT_READ": os.environ.get("RATELIMIT_READ", "120 per minute;1500 per hour"),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        # The anonymous page cache (forum/pagecache.py): visitors' public pages kept in
        # Redis (REDIS_URL) or, without it, in each process's memory up to PAGE_CACHE_BYTES;
        # a kept page lives PAGE_CACHE_SECONDS at most ("5 minutes ago" stays nearly true).
        "PAGE_CACHE": _flag("PAGE_CACHE", True),
        "PAGE_CACHE_BYTES": _count("PAGE_CACHE_BYTES", 64 * 1024 * 1024),
        "PAGE_CACHE_SECONDS": _count("PAGE_CACHE_SECONDS", 60),
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Where links in mail sent from the command line point.
        "PUBLIC_URL": os.environ.get("FORUM_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 587),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "forum@localhost"),
        # Immediate notification mail waits this long for the member to see it on the
        # site first (then it is not sent).
        "MAIL_AWAY_MINUTES": _count("MAIL_AWAY_MINUTES", 10),
        # A new member's first posts wait for a moderator (0 turns holding off).
        "HOLD_FIRST_POSTS": int(os.environ.get("HOLD_FIRST_POSTS") or 2),
        # How long a deleted post's text is kept (for moderators' questions about abuse,
        # never shown) before `flask --app forum purge` erases it.
        "DELETED_RETENTION_DAYS": _days("DELETED_RETENTION_DAYS", 30),
        # Whether an account must confirm its email address before it may write.
        "REQUIRE_CONFIRMED_EMAIL_TO_POST": _flag("REQUIRE_CONFIRMED_EMAIL_TO_POST", False),
        # Health safety. Defaults for what admins edit at /admin/safety and
        # /admin/guidelines (forum.community): crisis phrases (one per line, matched on
        # whole words after folding case and accents), helplines, the region whose
        # helplines are shown, watched domains (a post linking one is held), the
        # moderators' note templates, and the community guidelines (Markdown).
        "CRISIS_PHRASES": _data_text("crisis_phrases.txt"),
        "HELPLINES": _data_text("helplines.txt"),
        "HELPLINE_REGION": os.environ.get("HELPLINE_REGION", "").strip() or "UK",
        "WATCHED_DOMAINS": _data_text("watched_domains.txt"),
        "NOTE_TEMPLATES": _data_text("note_templates.md"),
        "GUIDELINES": _data_text("guidelines.md"),
        # A member ignored by this many others is shown to moderators.
        "IGNORED_BY_MANY": _count("IGNORED_BY_MANY", 5),
        # Articles: the next review is due this long after the last; "soon" on
        # /articles/review is within REVIEW_SOON_DAYS of it.
        "REVIEW_INTERVAL_DAYS": _days("REVIEW_INTERVAL_DAYS", 3 * 365),
        "REVIEW_SOON_DAYS": _days("REVIEW_SOON_DAYS", 90),
        # Long posts are welcome; a request body past this is refused with 413.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "THREADS_PER_PAGE": 25,
        # Search ranks the newest this many matches (in a thread: its newest); past
        # them a search says "more than" this many, so its cost stays the same.
        "SEARCH_CANDIDATES": max(1, _count("SEARCH_CANDIDATES", 1000)),
        # Where /articles/new files articles (the first category if it does not exist).
        "ARTICLE_CATEGORY": "research-news",
        "POSTS_PER_PAGE": 20,
        "SITE_NAME": "MS Community Forum",
        # Languages the interface is translated into (translations/<code>); a reader's
        # choice, then their browser's Accept-Language, then DEFAULT_LOCALE decides.
        "LANGUAGES": ("en", "es"),
        "DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "").strip() or "en",
        # Dates are shown in a member's own time zone, visitors' in this one.
        "DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "").strip() or "UTC",
        # Moderators and admins must turn on two-step sign-in before using the forum.
        # On by default in production; off elsewhere so scripted set-ups keep working.
        "REQUIRE_STAFF_TWO_FACTOR": _flag("REQUIRE_STAFF_TWO_FACTOR", production),
        # Host names this forum answers to (comma separated); others get 400.
        "TRUSTED_HOSTS": _list("TRUSTED_HOSTS"),
        # How many reverse proxies in front append to X-Forwarded-For; 0 ignores it,
        # since anyone can send the header (see README, Production).
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES"),
    }
