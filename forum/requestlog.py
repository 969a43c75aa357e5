"""Structured request logs: one JSON line per request, each with a request id.

Logged: method, the route (`/reset/<token>`, never the path itself: paths carry
reset, confirmation and sign-in tokens; and never the query string, which holds
search terms and `next`), status, duration, the member's id, and how many SQL
statements the request sent (`sql`: a count, never their text or parameters). Never
logged: bodies, passwords, tokens, email addresses or mail contents.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event

from .extensions import db

log = logging.getLogger("forum.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


def request_id() -> str | None:
    return g.get("request_id")


def init_app(app: Flask) -> None:
    if not app.testing and not logging.getLogger("forum").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.getLogger("forum").addHandler(handler)
        logging.getLogger("forum").setLevel(logging.INFO)

    def start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.sql_statements = 0

    # First of all, so a request another hook answers early (a redirect) has its id too.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    with app.app_context():
        for engine in db.engines.values():
            sa_event.listen(engine, "before_cursor_execute", _count_statement)

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.endpoint != "static":
            user = current_user.id if current_user and current_user.is_authenticated else None
            log.info("request", extra={"fields": {
                "request_id": g.get("request_id"), "method": request.method,
                "path": _route(), "status": response.status_code, "user": user,
                "ms": round((time.perf_counter() - g.get("request_started", time.perf_counter()))
                            * 1000, 1),
                "sql": g.get("sql_statements", 0),
            }})
        return response


def _count_statement(_connection, _cursor, statement, *_args) -> None:
    # BEGIN is sent as a statement to SQLite (forum/sqlite.py) and implied on Postgres;
    # leaving it (and SQLite's PRAGMAs) out makes the count the same on both.
    if has_request_context() and "sql_statements" in g and not statement.startswith(
            ("BEGIN", "PRAGMA")):
        g.sql_statements += 1


def _route() -> str:
    """The URL rule that answered; for a path no rule matched, only its first segment
    (a mistyped or truncated link may still hold a token further on)."""
    if request.url_rule is not None:
        return request.url_rule.rule
    first = request.path.lstrip("/").split("/", 1)[0][:40]
    return f"/{first}/…" if "/" in request.path.lstrip("/") else f"/{first}"


def event(message: str, **fields) -> None:
    """A named event (a sign-in, a moderator action) with the request id attached."""
    logging.getLogger("forum.events").info(
        message, extra={"fields": {"request_id": request_id(), **fields}})
