"""The same-bytes ceiling: a minimal Flask app that answers each path the benchmark
measured with exactly the bytes the forum sent for it (same status, same content type).

bench/run.py captures each scenario's page from the forum, writes the bodies and a
manifest, and serves this app under the same gunicorn settings (workers, sync) as the
forum, hit by the same load generator. What it reaches is what Flask, gunicorn and the
machine allow for those bytes; the forum's requests/s divided by it is the share of
that ceiling the forum's own work leaves ("4% of its same-bytes ceiling" in issue #15).

    CEILING_PAGES=/tmp/pages.json gunicorn --workers 2 'bench.ceiling:create_app()'

The manifest maps "METHOD /path?query" (with " (signed in)" for the page a member gets,
served to requests that carry a Cookie) to {"status", "content_type", "file"}; a POST
(the reply scenario) answers its captured redirect the same way, whatever was sent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, request

SIGNED_IN = " (signed in)"  # bench/run.py keys a signed-in page's bytes so


def load_pages(manifest: Path) -> dict[str, tuple[bytes, int, str]]:
    pages = json.loads(manifest.read_text())
    return {key: (Path(page["file"]).read_bytes(), page["status"], page["content_type"])
            for key, page in pages.items()}


def create_app(manifest: str | None = None) -> Flask:
    pages = load_pages(Path(manifest or os.environ["CEILING_PAGES"]))
    app = Flask(__name__)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def page(path: str) -> Response:
        query = request.query_string.decode()
        key = f"{request.method} {request.path}" + (f"?{query}" if query else "")
        if "Cookie" in request.headers and f"{key}{SIGNED_IN}" in pages:
            key += SIGNED_IN  # the signed-in page at this path (wrk sends the session)
        body, status, content_type = pages.get(key, (b"not captured", 404, "text/plain"))
        return Response(body, status=status, content_type=content_type)

    return app
