"""The forum served for real: gunicorn on a free loopback port, and a browser-like HTTP
client for it. One harness for the live tests (the `server` fixture in conftest.py), the
browser suite (tests/browser.py), the fault tests and the benchmark (bench/run.py).

It uses the standard library only, so the benchmark runs without the test dependencies.
A server that does not answer raises `NotAnswering`, an AssertionError: a test reports
it as a failure, with the end of gunicorn's log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from http.cookiejar import CookieJar
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
BIN = Path(sys.executable).parent  # the venv's flask and gunicorn sit beside its python
CSRF_RE = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str) -> dict[str, str]:
    """What the served app runs with: this database, a fixed key, and no rate limits
    (tests and the benchmark send far more than any person would)."""
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": "false", "FORUM_ENV": "development"}


class NotAnswering(AssertionError):
    """The server did not start, or stopped answering, in the time allowed."""


class LiveServer:
    """gunicorn serving `forum:create_app()` with `env`, its output in a file (a pipe could
    fill and block it). A context manager: started on entry, stopped on exit."""

    # gunicorn lets workers finish their requests first; on a loaded machine that takes a
    # while, and a slow shutdown is not what anything here measures.
    STOP_SECONDS = 60

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int,
                 options: tuple[str, ...] = ()):
        self.env = env
        self.log_path = Path(log_path)
        self.workers = workers
        self.options = options
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 30) -> LiveServer:
        """Starts gunicorn and returns once /healthz answers 200."""
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind",
             f"127.0.0.1:{self.port}", *self.options, "forum:create_app()"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            self.wait_until(lambda: self.health() == 200, seconds, "gunicorn did not start")
        except NotAnswering:
            self.stop()
            raise
        return self

    def health(self) -> int | None:
        """The status of /healthz, or None when nothing answers."""
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def wait_until(self, condition: Callable[[], bool], seconds: float, message: str) -> None:
        """Polls `condition`; raises NotAnswering, with the log's end, when the time is up
        or gunicorn has exited."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            if condition():
                return
            time.sleep(0.05)
        exited = self.process.poll()
        why = message if exited is None else f"{message} (gunicorn exited with {exited})"
        raise NotAnswering(f"{why}:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def csrf_token_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Response(NamedTuple):
    status: int  # 0 when the server could not be reached
    headers: Message | dict
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpClient:
    """A browser-like client: its own cookies, CSRF tokens read from pages, redirects not
    followed (a form's answer is its 302), and forms sent with an Origin header, as a
    browser sends them from the forum's own pages."""

    def __init__(self, base: str, timeout: float = 30):
        self.base = base
        self.timeout = timeout
        self.csrf = ""  # the token `token()` read last
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None, request_id: str = "") -> Response:
        """`request_id` goes out as X-Request-ID, to find the request in the app's log."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, body)
        if body is not None:
            request.add_header("Origin", self.base)
        if request_id:
            request.add_header("X-Request-ID", request_id)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Response(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read().decode())
        except OSError as error:  # refused, reset or timed out
            return Response(0, {}, str(error))

    def token(self, path: str) -> str:
        status, _, html = self.request(path)
        assert status == 200, (path, status, html[:300])
        self.csrf = csrf_token_of(html)
        return self.csrf

    def login(self, username: str, password: str) -> None:
        status, _, html = self.request("/login", {
            "csrf_token": self.token("/login"), "username": username, "password": password})
        assert status == 302, f"signing in as {username} answered {status}: {html[:300]}"
