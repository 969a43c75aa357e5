"""Faults through the real HTTP server: the database stopping under load, an unwritable
SQLite file. Both run gunicorn against a database of their own, never the test database
(nor the machine's shared PostgreSQL): the Postgres test starts a private server
(initdb into a temporary folder, a free loopback port) and stops it mid-load.

Figures (requests during the outage and their statuses, time to recover, replies lost)
are printed and written to tests/artifacts/faults.json.
"""

import contextlib
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from forum import create_app
from forum.domain import search
from forum.extensions import csrf, db
from forum.models import User
from tests.factories import PASSWORD, make_category, make_discussion, make_user
from tests.live import (
    ARTIFACTS,
    BIN,
    ROOT,
    HttpClient,
    LiveServer,
    app_environment,
    free_port,
    in_ci,
)

WRITERS = 6


def _unavailable(reason: str):
    """Under CI a missing tool fails the run (the fault tests must run there); on a
    developer's machine it skips with the reason."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def _record(name: str, figures: dict) -> None:
    print(f"\n{name}: {json.dumps(figures, indent=1)}")
    path = ARTIFACTS / "faults.json"
    with contextlib.suppress(OSError, ValueError):  # figures are a by-product, not the test
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        existing = json.loads(path.read_text()) if path.exists() else {}
        existing[name] = figures
        path.write_text(json.dumps(existing, indent=1) + "\n")


# -- a PostgreSQL of the test's own ------------------------------------------------------


class PrivatePostgres:
    """A throwaway cluster: initdb into a temporary folder, served on a free loopback
    port with its socket in that folder. initdb and postgres refuse to run as root, so
    as root they run as the `postgres` account (runuser), which owns the folder."""

    def __init__(self):
        # On PATH, else where Debian and Ubuntu put them (the newest version installed).
        path = os.pathsep.join([os.environ.get("PATH", ""),
                                *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)])
        self.initdb, self.pg_ctl = shutil.which("initdb", path=path), shutil.which("pg_ctl",
                                                                                   path=path)
        if not (self.initdb and self.pg_ctl):
            _unavailable("initdb and pg_ctl (PostgreSQL server binaries) are not on PATH nor in "
                         "/usr/lib/postgresql/*/bin: the fault tests start a PostgreSQL of their "
                         "own")
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:
            runuser = shutil.which("runuser") or shutil.which("setpriv")
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                owner = None
            if owner is None or runuser is None:
                _unavailable("running as root, and there is no `postgres` account (or no "
                             "runuser) to run initdb and postgres as")
            self.as_user = ([runuser, "-u", "postgres", "--"] if runuser.endswith("runuser")
                            else [runuser, f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}",
                                  "--init-groups", "--"])
        self.dir = Path(tempfile.mkdtemp(prefix="forum-faults-pg-"))
        if owner is not None:
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = self.url_of("forum")
        self._run(self.initdb, "-D", str(self.data), "-U", "forum", "-A", "trust",
                  "--no-sync", "--encoding", "UTF8", "--locale", "C")

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://forum@127.0.0.1:{self.port}/{database}"

    def _run(self, *args, timeout=60):
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True,
                                timeout=timeout, cwd=self.dir)
        if result.returncode != 0:
            raise RuntimeError(f"{args[:2]} failed: {result.stdout}{result.stderr}"
                               + self.log_tail())
        return result

    def log_tail(self) -> str:
        log = self.dir / "postgres.log"
        return log.read_text()[-2000:] if log.exists() else ""

    def start(self) -> None:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.dir} -c fsync=off "
                   "-c max_connections=50")
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.dir / "postgres.log"),
                  "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients see: every connection is cut at once,
        nothing is checkpointed, and the next start replays the WAL."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(Exception):  # already stopped, or never started
                self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres():
    cluster = PrivatePostgres()
    try:
        cluster.start()
        engine = create_engine(cluster.url_of("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE forum"))
        engine.dispose()
        yield cluster
    finally:
        cluster.remove()


# -- gunicorn as these tests run it ------------------------------------------------------


class Gunicorn(LiveServer):
    """The live server with gunicorn's own log level, whose "Booting worker" lines show a
    worker that died, and a short graceful timeout, so that a stop is quick."""

    def __init__(self, database_url: str, log_path: Path, workers: int):
        super().__init__(app_environment(database_url), log_path, workers=workers,
                         options=("--graceful-timeout", "5"))

    def errors(self) -> list[str]:
        """Log lines of errors other than the expected "database error" ones."""
        return [line for line in self.log().splitlines()
                if ('"ERROR"' in line or "Traceback" in line) and "database error" not in line]

    def booted_workers(self) -> int:
        return self.log().count("Booting worker")


def kept_form(html) -> dict:
    """The fields of the "send again" form on an error page that kept what was typed."""
    form = re.search(r'<form method="post" action="([^"]+)" class="writing-form">(.*?)</form>',
                     html, re.S)
    assert form, "the error page does not give the text back"
    fields = {name: unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2))}
    for name, value in re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>(.*?)</textarea>',
                                  form.group(2), re.S):
        fields[name] = unescape(value)
    return {"action": unescape(form.group(1)), **fields}


def assert_forum_error_page(status, headers, body, code=503):
    assert status == code, (status, body[:500])
    assert "Traceback" not in body and "psycopg" not in body and "sqlite3" not in body
    assert f"Error {code}" in body and "<main" in body  # the forum's own page
    assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Retry-After"]


def _other_app(database_url):
    """An app of the test's own on another database (the session `app` stays as it is)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                       "RATELIMIT_ENABLED": False})


# -- the database stopping under load ----------------------------------------------------


def test_postgres_stopping_mid_load_gives_503_and_the_forum_recovers_by_itself(
        private_postgres, tmp_path):
    pg = private_postgres
    env = {**os.environ, "DATABASE_URL": pg.url, "SECRET_KEY": "test-secret-key",
           "FORUM_ENV": "development"}
    upgrade = subprocess.run([str(BIN / "flask"), "--app", "forum", "db", "upgrade"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]

    other = _other_app(pg.url)
    names = [f"writer{n}" for n in range(WRITERS)]
    with other.app_context():  # else the command would use the test app, already current
        for name in names:  # the operator's command, run in this process (no start-up cost)
            result = other.test_cli_runner().invoke(args=[
                "users", "create", name, "--email", f"{name}@example.org",
                "--password", PASSWORD, "--role", "member"])
            assert result.exit_code == 0, result.output
        author = db.session.scalar(select(User).where(User.username == names[0]))
        thread_id = make_discussion(author, make_category(), title="Does cold weather help?").id
        db.session.commit()
        db.engine.dispose()  # nothing of the test's own is connected when the server stops

    server = Gunicorn(pg.url, tmp_path / "gunicorn.log", workers=3).start()
    try:
        figures = _load_through_an_outage(server, pg, names, thread_id)
        assert server.process.poll() is None
        assert server.booted_workers() == 3, "a worker died or timed out during the outage"
    finally:
        server.stop()

    # Every reply that was accepted is stored once; a refused one was stored at most once
    # (its commit may have reached the server just before the connection was cut) and,
    # sent again from the 503 page, exactly once: nothing anyone wrote is lost.
    with other.app_context():
        stored = Counter(db.session.scalars(text(
            "SELECT body_source FROM posts WHERE thread_id = :t AND NOT is_opening"),
            {"t": thread_id}).all())
        assert all(count == 1 for count in stored.values()), stored.most_common(3)
        attempted = figures.pop("_bodies")
        lost = [body for body in attempted if body not in stored]
        figures["replies_lost"] = len(lost)
        assert not lost
        assert set(stored) == set(attempted)
        _assert_thread_consistent(thread_id)
        db.engine.dispose()
    _record("postgres_outage", figures)


def _load_through_an_outage(server, pg, names, thread_id) -> dict:
    clients = []
    for name in names:
        client = HttpClient(server.base)
        client.login(name, PASSWORD)
        clients.append(client)
    tokens = [client.token(f"/t/{thread_id}") for client in clients]
    results = []  # (sent at, status, body, submission token, client, response body)
    stop = threading.Event()

    def write(n):
        for k in range(10_000):
            if stop.is_set():
                return
            body = f"Reply {k} from writer {n}: the cold helps me more than the heat."
            submission = secrets.token_urlsafe(24)
            sent = time.monotonic()
            status, _, page = clients[n].request(f"/t/{thread_id}/reply", {
                "csrf_token": tokens[n], "body": body, "submission": submission})
            results.append((sent, status, body, submission, n, page))
            time.sleep(0.25 if status == 503 else 0.02)  # as a person would, not a loop

    writers = [threading.Thread(target=write, args=(n,)) for n in range(len(clients))]
    for writer in writers:
        writer.start()
    time.sleep(1.0)

    stopping = time.monotonic()
    pg.stop("immediate")
    stopped = time.monotonic()
    visitor = HttpClient(server.base)
    probes = []
    while time.monotonic() - stopped < 2.0:  # the writers keep writing meanwhile
        probes.append(("healthz", *visitor.request("/healthz")))
        probes.append(("visitor page", *visitor.request(f"/t/{thread_id}")))
        probes.append(("member page", *clients[0].request(f"/t/{thread_id}")))
        time.sleep(0.1)

    restarting = time.monotonic()
    pg.start()
    back = time.monotonic()  # pg_ctl -w returns once the server accepts connections
    server.wait_until(lambda: server.health() == 200, 15, "/healthz stayed down")
    healthy = time.monotonic()
    deadline = back + 15
    while not any(sent >= back and status == 302 for sent, status, *_ in results):
        assert time.monotonic() < deadline, "no write succeeded after the database came back"
        time.sleep(0.02)
    first_write = min(sent for sent, status, *_ in results if sent >= back and status == 302)
    time.sleep(0.5)
    stop.set()
    for writer in writers:
        writer.join()

    # During the outage: the forum's own 503 pages, never a traceback or a 500.
    assert probes and all(status == 503 for _, status, _, _ in probes), \
        Counter((what, status) for what, status, _, _ in probes)
    for what, status, headers, body in probes:
        if what == "healthz":
            assert json.loads(body)["database"] == "down" and headers["Retry-After"]
        else:
            assert_forum_error_page(status, headers, body)
            assert "briefly unavailable" in body
    statuses = Counter(status for _, status, *_ in results)
    assert set(statuses) <= {302, 503}, (statuses, server.errors())
    refused = [r for r in results if r[1] == 503]
    assert refused, "no reply was sent while the database was down"
    for _, _, body, submission, _, page in refused:
        assert "cannot save anything at the moment" in page
        kept = kept_form(page)
        assert kept["body"] == body and kept["submission"] == submission
        assert kept["action"] == f"/t/{thread_id}/reply"

    # Signed in all along (the session cookie survived the outage): the page knows them.
    status, _, page = clients[0].request(f"/t/{thread_id}")
    assert status == 200 and names[0] in page

    # A refused reply may still be stored (its COMMIT reached the server just before the
    # connection was cut); at most once, and sending it again must not add a second.
    engine = create_engine(pg.url)
    with engine.connect() as conn:
        stored = Counter(conn.scalars(text(
            "SELECT body_source FROM posts WHERE thread_id = :t"), {"t": thread_id}).all())
    engine.dispose()
    assert all(count == 1 for count in stored.values())
    refused_but_stored = sum(1 for r in refused if r[2] in stored)

    # "Send again" from each 503 page, as the writer would once the forum is back.
    def send_again(n):
        for *_, writer, page in refused:
            if writer == n:
                kept = kept_form(page)
                resent.append(clients[n].request(kept.pop("action"), kept)[0])

    resent = []
    senders = [threading.Thread(target=send_again, args=(n,)) for n in range(len(clients))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert resent == [302] * len(refused), Counter(resent)

    def statuses_sent(since, until):
        return dict(Counter(str(status) for sent, status, *_ in results if since <= sent < until))

    phases = {
        "before the stop": statuses_sent(0, stopping),
        "while stopping (pg_ctl stop -m immediate)": statuses_sent(stopping, stopped),
        "while down": statuses_sent(stopped, restarting),
        "while starting (pg_ctl start -w)": statuses_sent(restarting, back),
        "after it was back": statuses_sent(back, float("inf")),
    }
    # Nothing can be written while the database is gone, and everything once it is back.
    assert set(phases["while down"]) == {"503"}, phases
    assert set(phases["after it was back"]) == {"302"}, phases
    return {
        "writers": len(clients),
        "replies_sent": len(results),
        "replies_accepted_302": statuses[302],
        "replies_refused_503": statuses[503],
        "reply_statuses_by_when_sent": phases,
        "probes_while_down": dict(Counter(f"{w} {s}" for w, s, _, _ in probes)),
        "database_stop_seconds": round(stopped - stopping, 2),
        "database_down_seconds": round(back - stopping, 2),
        "database_start_seconds": round(back - restarting, 2),
        "healthz_200_after_database_back_seconds": round(healthy - back, 2),
        "first_accepted_reply_sent_after_back_seconds": round(first_write - back, 2),
        "refused_replies_stored_anyway_before_sent_again": refused_but_stored,
        "refused_replies_sent_again_from_the_503_page_302": resent.count(302),
        "_bodies": [r[2] for r in results],
    }


def _assert_thread_consistent(thread_id):
    """No partial write: the counters match the stored posts, every post is indexed."""
    row = db.session.execute(text(
        "SELECT reply_count, last_activity_at FROM threads WHERE id = :t"), {"t": thread_id}).one()
    replies = db.session.execute(text(
        "SELECT count(*), max(created_at) FROM posts WHERE thread_id = :t AND NOT is_opening "
        "AND deleted_at IS NULL AND hidden_at IS NULL AND held_at IS NULL"),
        {"t": thread_id}).one()
    assert row.reply_count == replies[0]
    assert row.last_activity_at == replies[1]
    unindexed = db.session.scalar(text(
        "SELECT count(*) FROM posts WHERE thread_id = :t AND id NOT IN (SELECT rowid FROM "
        "search_posts)" if db.engine.dialect.name == "sqlite" else
        "SELECT count(*) FROM posts WHERE thread_id = :t AND id NOT IN (SELECT post_id FROM "
        "search_posts)"), {"t": thread_id})
    assert unindexed == 0


def test_a_connection_cut_after_the_page_was_made_still_gives_the_page(private_postgres):
    """The request's session is closed (rolled back) after the response is made; if the
    database went away in between, that must not become the server's bare 500."""
    app = _other_app(private_postgres.url)
    killer = create_engine(private_postgres.url, isolation_level="AUTOCOMMIT")

    def page():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))  # a transaction is open
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return "made before the connection was cut"

    app.add_url_rule("/made-then-cut", view_func=page)
    try:
        response = app.test_client().get("/made-then-cut")
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"]
        assert app.test_client().get("/healthz").status_code == 200  # a fresh connection
    finally:
        killer.dispose()
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(("raised", "code", "says"), [
    (OperationalError("INSERT", {}, Exception("server closed the connection")), 503,
     "cannot save anything at the moment"),
    (IntegrityError("INSERT", {}, Exception("duplicate key")), 500,  # a bug, not an outage
     "Something went wrong on our side"),
])
def test_a_form_refused_by_a_database_error_comes_back_with_its_text(raised, code, says):
    app = create_app({"TESTING": False})

    def write():
        raise raised

    app.add_url_rule("/write", view_func=csrf.exempt(write), methods=["POST"])
    typed = "Three paragraphs about my first month on a new treatment.\n\nIt went well."
    response = app.test_client().post("/write", data={"body": typed, "submission": "x" * 24},
                                      headers={"Origin": "http://localhost"})
    page = response.get_data(as_text=True)
    assert response.status_code == code and says in page
    assert "Traceback" not in page and "duplicate key" not in page
    assert response.headers["Content-Security-Policy"]
    kept = kept_form(page)
    assert kept["body"] == typed and kept["submission"] == "x" * 24
    assert kept["action"] == "/write"


# -- an unwritable SQLite file -----------------------------------------------------------


def _make_unwritable(path: Path):
    """What an operator would do: chmod the file read-only; as root, whom permissions do
    not stop, the immutable attribute (chattr +i) is what really refuses writes. Returns
    how to undo it."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        return lambda: path.chmod(mode)
    chattr = shutil.which("chattr")
    result = (subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
              if chattr else None)
    if result is None or result.returncode != 0:
        _unavailable("running as root, and `chattr +i` is not available here to make a file "
                     f"unwritable: {result.stderr if result else 'no chattr'}")
    return lambda: subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_unwritable_sqlite_file_refuses_writes_with_503_while_reads_go_on(tmp_path):
    path = tmp_path / "forum.db"
    url = f"sqlite:///{path}"
    other = _other_app(url)
    with other.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            search.create_objects(conn)
        writer, reader = make_user("wren"), make_user("bluebell")
        thread_id = make_discussion(writer, make_category(), title="Cooling vests: worth it?").id
        names = writer.username, reader.username
        db.session.commit()
        db.engine.dispose()

    server = Gunicorn(url, tmp_path / "gunicorn.log", workers=2).start()
    restore = None
    try:
        member = HttpClient(server.base)
        member.login(names[0], PASSWORD)
        token = member.token(f"/t/{thread_id}")
        # Every worker has a connection open (read-write) before the file changes.
        for k in range(4):
            assert member.request(f"/t/{thread_id}/reply", {
                "csrf_token": token, "body": f"Before the change, number {k}.",
                "submission": secrets.token_urlsafe(24)})[0] == 302

        restore = _make_unwritable(path)
        seen, _ = _check_read_only(server, member, token, thread_id, names)
        # A restart while it is unwritable: new connections open the file read-only.
        server.process.send_signal(signal.SIGHUP)
        server.wait_until(lambda: server.booted_workers() >= 4, 20, "workers did not reload")
        time.sleep(0.5)
        seen_reopened, kept = _check_read_only(server, member, token, thread_id, names)

        restore()
        restore = None
        # Back to writable: no restart, the very form from the 503 page goes through.
        started = time.monotonic()
        status, _, _ = member.request(kept.pop("action"), kept)
        assert status == 302, status
        recovered = time.monotonic() - started
        for k in range(4):  # every worker writes again, whichever connection it holds
            assert member.request(f"/t/{thread_id}/reply", {
                "csrf_token": token, "body": f"After the change, number {k}.",
                "submission": secrets.token_urlsafe(24)})[0] == 302
        assert server.process.poll() is None
    finally:
        if restore is not None:
            restore()
        server.stop()

    with other.app_context():
        bodies = Counter(db.session.scalars(text(
            "SELECT body_source FROM posts WHERE thread_id = :t AND NOT is_opening"),
            {"t": thread_id}).all())
        assert all(count == 1 for count in bodies.values()), bodies
        assert kept["body"] in bodies  # the refused reply, sent again: stored once
        assert len(bodies) == 9
        _assert_thread_consistent(thread_id)
        db.engine.dispose()
    _record("sqlite_unwritable", {
        "how": "chmod 0444" if os.geteuid() else "chattr +i",
        "connections_opened_before": dict(seen),
        "connections_opened_after (workers reloaded)": dict(seen_reopened),
        "first_write_after_restore_seconds": round(recovered, 3),
    })


def _check_read_only(server, member, token, thread_id, names):
    """Reads are 200 for visitors and members; a reply, a new thread and a sign-in are a
    clear 503, and the reply's and the thread's text come back. Returns the statuses
    seen and the kept reply form."""
    visitor = HttpClient(server.base)
    seen = Counter()
    for client in (visitor, member):
        for path in ("/", f"/t/{thread_id}", "/c/living-with-ms", "/search?q=vests",
                     "/healthz"):
            for _ in range(3):  # several workers
                status, _, page = client.request(path)
                seen[f"GET {status}"] += 1
                assert status == 200, (path, status, page[:300])
    body = "Written while the file was unwritable.\n\nStill here?"
    submission = secrets.token_urlsafe(24)
    for _ in range(3):
        status, headers, page = member.request(f"/t/{thread_id}/reply", {
            "csrf_token": token, "body": body, "submission": submission})
        seen[f"POST reply {status}"] += 1
        assert_forum_error_page(status, headers, page)
        assert "cannot save anything at the moment" in page and "your text is safe" in page
        assert names[0] in page, "the 503 page forgot who is signed in"
        kept = kept_form(page)
        assert kept["body"] == body and kept["submission"] == submission
    status, headers, page = member.request("/c/living-with-ms/new", {
        "csrf_token": token, "title": "Typed while read-only", "body": "A whole new thread."})
    seen[f"POST new thread {status}"] += 1
    assert_forum_error_page(status, headers, page)
    assert kept_form(page)["body"] == "A whole new thread."
    signing_in = HttpClient(server.base)
    status, headers, page = signing_in.request("/login", {
        "csrf_token": signing_in.token("/login"), "username": names[1], "password": PASSWORD})
    seen[f"POST sign-in {status}"] += 1
    assert_forum_error_page(status, headers, page)
    assert "cannot save anything at the moment" in page
    return seen, kept


def test_the_plain_error_page_is_escaped_and_in_the_readers_language():
    """When the error page itself cannot be made (its template needs what just failed),
    the plain page still escapes the reason, and says it in the page's language."""
    app = create_app({"TESTING": False})

    def broken(*args, **kwargs):
        raise RuntimeError("the page's own template failed")

    def refuse():
        abort(403, '<img src=x onerror="alert(1)"> is not allowed')

    app.jinja_env.globals["page_language"] = broken
    app.add_url_rule("/refuse", view_func=refuse)
    response = app.test_client().get("/refuse", headers={"Accept-Language": "es"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert page.startswith("<!doctype html><html lang=es>")
    assert "<img" not in page and "&lt;img src=x onerror=" in page
    assert "No permitido" in page  # the title, translated
