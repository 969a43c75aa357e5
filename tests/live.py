"""The real HTTP server for tests: gunicorn with several workers on the test database,
and a browser-like client for it (cookies, CSRF tokens, no redirects followed)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(app, database_url, tmp_path):
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")  # a file, not a pipe: logs never block it
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
           "RATELIMIT_ENABLED": "false", "FORUM_ENV": "development"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "4", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "forum:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: "
                    + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield base
    process.terminate()
    # gunicorn lets workers finish their requests first; on a loaded machine that takes
    # a while, and a slow shutdown is not what any test here is about.
    process.wait(timeout=60)
    log.close()
    # Whatever a test asserts, the server must never have hit a locked database.
    server_log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpClient:
    """A browser-like client for the live server: cookies, CSRF tokens, no redirects."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path):
        status, html = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)

    def login(self, username):
        token = self.token("/login")
        status, _ = self.request("/login", {"csrf_token": token, "username": username,
                                            "password": PASSWORD})
        assert status == 302
