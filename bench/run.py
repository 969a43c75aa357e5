"""Benchmark the forum through a real server, against its same-bytes ceiling.

    .venv/bin/python bench/run.py                                   # SQLite, small data
    .venv/bin/python bench/run.py --size million \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h3bench \\
        --out bench/results-postgres-million.md

One run: a fresh database, `flask --app forum db upgrade`, `flask --app forum seed bulk`
(once for the many threads, once for the long one), the forum under gunicorn, and beside
it bench/ceiling.py, a minimal Flask app answering each measured path with the bytes the
forum sent for it, under the same gunicorn settings. Each scenario is loaded by wrk
(`-t2 -c16`; Python threads when wrk is not installed) on the forum and then, at once,
on the ceiling; the report gives requests/s, p50, p99, bytes, SQL statements per request
(from the app's JSON request log, by X-Request-ID), the ratio to the ceiling, a worker's
resident memory sampled through the run, and the targets of issue #15, met or not.
See bench/README.md and docs/performance.md.
"""

# Commands are this checkout's own; URLs are the local servers'.
# ruff: noqa: S310, S603

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url
from sqlalchemy import text as sql

from forum import bulk

# The server and the clients are the test suite's own (tests/live.py), from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live import BIN, ROOT, HttpClient, LiveServer, app_environment  # noqa: E402

WATCHERS = 1000  # members watching the thread `reply_watched` replies to
SEARCH = "cooling physio"
CONNECTIONS = 16  # what reads at once: wrk -t2 -c16, as in issue #15
# (short threads, posts in each, posts in the long thread)
SIZES = {"small": (300, 10, 500), "million": (19_998, 45, 100_000)}
# One more short thread of this many posts, so the million is exact: 19,998 × 45 + 90 +
# 100,000 = 1,000,000 posts over 20,000 threads.
REMAINDER = {"million": 90}


# -- the database -------------------------------------------------------------

def fresh_database(url: str | None, workdir: Path) -> str:
    """An empty database to benchmark: a new SQLite file, or the named one wiped."""
    if url is None:
        return f"sqlite:///{workdir / 'bench.db'}"
    parsed = make_url(url)
    name = Path(parsed.database or "").name
    if "bench" not in name:
        sys.exit(f"Refusing to wipe {name!r}: the benchmark empties its database, so the "
                 "database (or SQLite file) name must contain 'bench'.")
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sql("DROP SCHEMA public CASCADE"))
        conn.execute(sql("CREATE SCHEMA public"))
    engine.dispose()
    return url


@dataclass
class Fixture:
    """What the scenarios point at, read back from the loaded database."""

    long_thread: int
    long_posts: int
    short_threads: list[int]
    category: str
    tag: str
    member: str
    counts: dict[str, int]
    watched_thread: int = 0


def read_fixture(url: str) -> Fixture:
    engine = create_engine(url)
    with engine.connect() as conn:
        long_id, replies = conn.execute(sql(
            "SELECT id, reply_count FROM threads ORDER BY reply_count DESC, id LIMIT 1")).one()
        short = conn.execute(sql(
            "SELECT id FROM threads WHERE kind = 'discussion' AND id != :id ORDER BY id"),
            {"id": long_id}).scalars().all()
        counts = {table: conn.execute(sql(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                  for table in ("users", "threads", "posts")}
    engine.dispose()
    return Fixture(long_id, replies + 1, short, bulk.CATEGORIES[1][0], bulk.TAGS[0],
                   "bulk_member_01", counts)


def add_watchers(url: str, thread_id: int, count: int) -> None:
    """`count` members watching one thread, each wanting immediate mail: copies of a bulk
    member (same password hash) written in two INSERT … SELECT statements, so the
    fan-out a reply there causes is the one under test, not the loading."""
    engine = create_engine(url)
    with engine.begin() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("users")
                   if c["name"] not in ("id", "username", "email")]
        copied = ", ".join(columns)
        numbers = ("generate_series(1, :n) AS n" if conn.dialect.name == "postgresql" else
                   "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                   "WHERE n < :n) SELECT n FROM c) AS numbers")
        conn.execute(sql(
            f"INSERT INTO users (username, email, {copied}) "  # noqa: S608 (the table's own names)
            f"SELECT 'watcher_' || n, 'watcher_' || n || '@example.test', {copied} "
            f"FROM users, {numbers} WHERE users.username = 'bulk_member_01'"), {"n": count})
        conn.execute(sql(
            "INSERT INTO thread_watches (user_id, thread_id, level, created_at) "
            "SELECT id, :thread, 'watching', CURRENT_TIMESTAMP FROM users "
            "WHERE username LIKE 'watcher_%'"), {"thread": thread_id})
        conn.execute(sql("UPDATE users SET email_notifications = 'immediate' "
                         "WHERE username LIKE 'watcher_%'"))
    engine.dispose()


def analyze(url: str) -> None:
    """Postgres plans from statistics; a real forum's autovacuum has gathered them."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sql("ANALYZE"))
    engine.dispose()


def flask_command(env: dict, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "flask"), "--app", "forum", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


# -- the servers ----------------------------------------------------------------

class BenchServer(LiveServer):
    """A gunicorn app on a free port (the forum, or the ceiling), and its workers' memory."""

    def __init__(self, env: dict, log_path: Path, *, workers: int, target: str):
        # The same settings for both apps: sync workers, the same count and timeout.
        super().__init__(env, log_path, workers=workers, options=(
            "--worker-class", "sync", "--log-level", "warning", "--timeout", "60"))
        self.target = target

    def start(self, seconds: float = 60) -> BenchServer:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind",
             f"127.0.0.1:{self.port}", *self.options, self.target],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self.wait_until(lambda: len(self.worker_pids()) == self.workers
                            and self.health() is not None, seconds,
                            f"gunicorn ({self.target}) did not start")
        except AssertionError:
            self.stop()
            raise
        return self

    def worker_pids(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.append(int(entry.name))
        return sorted(children)

    def worker_rss(self) -> list[int]:
        """Each worker's resident memory, KiB."""
        return [_rss(pid) for pid in self.worker_pids()]


def _rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


class MemorySampler(threading.Thread):
    """Samples the forum's workers' RSS every `every` seconds through the whole run; each
    sample is filed under the phase then running, so the report has the max overall,
    the max per scenario, and named moments."""

    def __init__(self, server: BenchServer, every: float = 0.25):
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.phase = "signing in, capturing the pages"
        self.by_phase: dict[str, int] = {}
        self.moments: list[tuple[str, list[int]]] = []
        self.samples = 0
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.is_set():
            rss = max(self.server.worker_rss(), default=0)
            self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0), rss)
            self.samples += 1
            self._finished.wait(self.every)

    def moment(self, label: str) -> None:
        self.moments.append((label, self.server.worker_rss()))

    def stop(self) -> None:
        self._finished.set()
        self.join()

    @property
    def max_rss(self) -> int:
        return max([*self.by_phase.values(), *(max(m, default=0) for _, m in self.moments)],
                   default=0)


# -- load generators -------------------------------------------------------------

# wrk runs this in each of its threads: every request gets an X-Request-ID
# (run-tag.scenario.thread.n) so the app's log line can be found, and the summary comes
# back as one JSON line (wrk's own text gives p99 only to two digits, and no bytes).
WRK_SCRIPT = r"""
local counter = 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local headers, prefix, n = {}, "", 0
function init(args)
  for name, value in pairs(wrk.headers) do headers[name] = value end
  prefix = args[1] .. "." .. id .. "."
end
function request()
  n = n + 1
  headers["X-Request-ID"] = prefix .. n
  return wrk.format(nil, nil, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %.0f, "bytes": %.0f, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %.0f, "p99_us": %.0f, "max_us": %.0f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class Load:
    """What one load generator saw in one run against one server."""

    generator: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bytes_per_response: float  # headers included, as read off the socket
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class Wrk:
    name = "wrk"

    def __init__(self, script: Path):
        self.script = script
        self.version = subprocess.run(["wrk", "--version"], capture_output=True,  # noqa: S607
                                      text=True).stdout.splitlines()[0].split(" [")[0]

    def command(self, url: str, seconds: float, headers: dict[str, str], prefix: str):
        cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "30s", "-s", str(self.script)]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        return [*cmd, url, "--", prefix]

    def start(self, url: str, seconds: float, headers: dict[str, str], prefix: str):
        return subprocess.Popen(self.command(url, seconds, headers, prefix),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finish(self, process) -> Load:
        output, _ = process.communicate()
        return self.parse(output)

    def run(self, url: str, seconds: float, headers: dict[str, str], prefix: str) -> Load:
        return self.finish(self.start(url, seconds, headers, prefix))

    @staticmethod
    def parse(output: str) -> Load:
        match = re.search(r"^BENCH_JSON (\{.*\})$", output, re.MULTILINE)
        if not match:
            sys.exit(f"wrk gave no summary:\n{output[-2000:]}")
        s = json.loads(match.group(1))
        # --latency's distribution, when present, is the same figure wrk's done() saw.
        return Load("wrk", s["requests"], s["duration_us"] / 1e6, s["p50_us"] / 1000,
                    s["p99_us"] / 1000, s["bytes"] / s["requests"] if s["requests"] else 0,
                    s["status_errors"] + s["socket_errors"])


class PythonClients:
    """The fallback when wrk is not installed: CONNECTIONS threads sending requests back
    to back through urllib. They share the machine's CPUs with the server (and Python's
    lock with each other), so they reach lower rates than wrk does."""

    name = "python"
    version = f"Python {platform.python_version()} threads"

    def start(self, url: str, seconds: float, headers: dict[str, str], prefix: str):
        result: dict = {}
        thread = threading.Thread(target=lambda: result.update(
            load=self.run(url, seconds, headers, prefix)))
        thread.start()
        return thread, result

    def finish(self, process) -> Load:
        thread, result = process
        thread.join()
        return result["load"]

    def run(self, url: str, seconds: float, headers: dict[str, str], prefix: str) -> Load:
        latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
        sizes = [0] * CONNECTIONS
        errors = [0] * CONNECTIONS
        stop_at = time.perf_counter() + seconds

        def work(i: int) -> None:
            n = 0
            while time.perf_counter() < stop_at:
                n += 1
                request = urllib.request.Request(
                    url, headers={**headers, "X-Request-ID": f"{prefix}.{i}.{n}"})
                began = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        sizes[i] += len(response.read()) + len(str(response.headers))
                except (urllib.error.URLError, OSError):
                    errors[i] += 1
                latencies[i].append(time.perf_counter() - began)

        began = time.perf_counter()
        workers = [threading.Thread(target=work, args=(i,)) for i in range(CONNECTIONS)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall = time.perf_counter() - began
        every = [x for xs in latencies for x in xs]
        return Load("python", len(every), wall, percentile(every, 50) * 1000,
                    percentile(every, 99) * 1000, sum(sizes) / len(every) if every else 0,
                    sum(errors))


def post_load(clients: list[HttpClient], path: str, seconds: float, prefix: str) -> Load:
    """Signed-in members posting replies back to back, each with its CSRF token; a 302
    (the redirect to the new reply) counts as success."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    stop_at = time.perf_counter() + seconds

    def work(i: int) -> None:
        client, n = clients[i], 0
        while time.perf_counter() < stop_at:
            n += 1
            began = time.perf_counter()
            status = client.request(path, {"csrf_token": client.csrf, "body":
                                           f"Benchmark reply {n}: pacing and rest help me."},
                                    f"{prefix}.{i}.{n}").status
            latencies[i].append(time.perf_counter() - began)
            errors[i] += status != 302

    began = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = [x for xs in latencies for x in xs]
    return Load("python", len(every), time.perf_counter() - began, percentile(every, 50) * 1000,
                percentile(every, 99) * 1000, 0, sum(errors))


def app_log(log_path: Path, tag: str) -> dict[str, dict[str, list[float]]]:
    """The app's own figures for each request of this run (forum/requestlog.py), by
    scenario: its time (`ms`) and its SQL statement count (`sql`)."""
    found: dict[str, dict[str, list[float]]] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        parts = str(entry.get("request_id", "")).split(".")
        if len(parts) == 4 and parts[0] == tag and "ms" in entry:
            figures = found.setdefault(parts[1], {"ms": [], "sql": []})
            figures["ms"].append(float(entry["ms"]))
            if "sql" in entry:
                figures["sql"].append(float(entry["sql"]))
    return found


# -- scenarios --------------------------------------------------------------------

@dataclass
class Scenario:
    name: str  # no dots: it is a part of each request's X-Request-ID
    label: str
    path: str
    signed_in: bool = False
    writes: bool = False  # a POST by signed-in members while wrk reads READ_UNDER_WRITES


@dataclass
class Outcome:
    scenario: Scenario
    status: int
    content_type: str
    body_bytes: int
    forum: Load | None = None
    ceiling: Load | None = None
    reads: Load | None = None  # for a write: what the readers saw meanwhile, on the forum
    ceiling_reads: Load | None = None  # … and on the ceiling
    app_ms: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    rss_max: int = 0  # KiB, the largest worker while it ran on the forum

    @property
    def ratio(self) -> float:
        if not self.forum or not self.ceiling or not self.ceiling.rps:
            return float("nan")
        return self.forum.rps / self.ceiling.rps

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql) if self.sql else float("nan")

    @property
    def app_p50(self) -> float:
        return percentile(self.app_ms, 50)


READ_UNDER_WRITES = "thread_first"


def plan(fx: Fixture, per_page: int) -> list[Scenario]:
    last_page = -(-fx.long_posts // per_page)
    search = urllib.parse.urlencode({"q": SEARCH})
    return [
        Scenario("healthz", "/healthz (baseline: one SELECT 1)", "/healthz"),
        Scenario("home", "front page", "/"),
        Scenario("category", f"category {fx.category}", f"/c/{fx.category}"),
        Scenario("thread_first", f"long thread ({fx.long_posts:,} posts), page 1",
                 f"/t/{fx.long_thread}"),
        Scenario("thread_last", f"long thread, last page ({last_page:,})",
                 f"/t/{fx.long_thread}?page={last_page}"),
        Scenario("thread_member", "long thread, page 1, signed in",
                 f"/t/{fx.long_thread}", signed_in=True),
        Scenario("search", f"search “{SEARCH}”", f"/search?{search}"),
        Scenario("tag", f"tag {fx.tag}", f"/tag/{fx.tag}"),
        Scenario("profile", f"profile {fx.member}", f"/u/{fx.member}"),
        Scenario("feed", "Atom feed", "/feed.atom"),
        Scenario("reply", "reply (POST, signed in, CSRF)",
                 f"/t/{fx.short_threads[0]}/reply", writes=True),
        Scenario("reply_watched", f"reply to a thread {WATCHERS:,} members watch",
                 f"/t/{fx.watched_thread}/reply", writes=True),
    ]


SCENARIO_NAMES = ("healthz", "home", "category", "thread_first", "thread_last", "thread_member",
                  "search", "tag", "profile", "feed", "reply", "reply_watched")


def cookie_header(client: HttpClient) -> str:
    """The cookies a signed-in HttpClient holds, as one Cookie header for wrk."""
    for handler in client.opener.handlers:
        if isinstance(handler, urllib.request.HTTPCookieProcessor):
            return "; ".join(f"{c.name}={c.value}" for c in handler.cookiejar)
    return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """One GET, redirects not followed: (status, content type, body bytes)."""
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


SIGNED_IN = " (signed in)"  # bench/ceiling.py: a request with a Cookie header


def capture(base: str, scenarios: list[Scenario], cookie: str, writer: HttpClient,
            folder: Path) -> tuple[dict[str, Outcome], Path]:
    """Each scenario's page as the forum sends it, and the ceiling's manifest of them. A
    read must answer 200; a reply its 302."""
    folder.mkdir(parents=True, exist_ok=True)
    outcomes, manifest = {}, {}
    # The replies first, so the pages captured after them are the ones the load reads.
    for n, s in enumerate(sorted(scenarios, key=lambda s: not s.writes)):
        if s.writes:
            got = writer.request(s.path, {"csrf_token": writer.csrf,
                                          "body": "A reply the benchmark captures."})
            status, content_type = got.status, got.headers.get("Content-Type", "")
            body, method, expected = got.body.encode(), "POST", 302
        else:
            headers = {"Cookie": cookie} if s.signed_in else {}
            status, content_type, body = fetch(base + s.path, headers)
            method, expected = "GET", 200
        if status != expected:
            sys.exit(f"{s.name}: {method} {s.path} answered {status}, not {expected}:\n"
                     f"{body[:500]!r}")
        file = folder / f"{n:02d}-{s.name}.body"
        file.write_bytes(body)
        # A signed-in page has its own entry: the anonymous one at the same path differs.
        key = f"{method} {s.path}" + (SIGNED_IN if s.signed_in else "")
        manifest[key] = {"status": status, "content_type": content_type, "file": str(file)}
        outcomes[s.name] = Outcome(s, status, content_type, len(body))
    outcomes = {s.name: outcomes[s.name] for s in scenarios}
    # Reads during the writes, on the ceiling too.
    if any(s.writes for s in scenarios) and f"GET {_read_path(scenarios)}" not in manifest:
        sys.exit(f"the write scenarios read {READ_UNDER_WRITES}, which must be measured too")
    path = folder / "pages.json"
    path.write_text(json.dumps(manifest, indent=1))
    return outcomes, path


def _read_path(scenarios: list[Scenario]) -> str:
    return next(s.path for s in scenarios if s.name == READ_UNDER_WRITES)


def warm_up(bases: list[str], scenarios: list[Scenario], cookie: str, workers: int) -> None:
    """A few requests per page and worker: imports, templates and caches loaded."""
    for base in bases:
        for s in scenarios:
            if not s.writes:
                for _ in range(3 * workers):
                    fetch(base + s.path, {"Cookie": cookie} if s.signed_in else {})


# -- measuring ----------------------------------------------------------------------

def measure(outcome: Outcome, load, forum: BenchServer, ceiling: BenchServer,
            sampler: MemorySampler, cookie: str, writers: list[HttpClient],
            ceiling_writers: list[HttpClient], seconds: float, tag: str,
            read_path: str) -> None:
    """The scenario on the forum, then at once the same on the ceiling."""
    s = outcome.scenario
    headers = {"Cookie": cookie} if s.signed_in else {}
    sampler.phase = s.name
    if not s.writes:
        outcome.forum = load.run(forum.base + s.path, seconds, headers, f"{tag}.{s.name}")
        sampler.phase = "the ceiling's turn"
        outcome.ceiling = load.run(ceiling.base + s.path, seconds, headers, "c.x")
    else:
        for server, clients, side in ((forum, writers, "forum"),
                                      (ceiling, ceiling_writers, "ceiling")):
            reads = load.start(server.base + read_path, seconds, {},
                               f"{tag}.{s.name}_reads" if side == "forum" else "c.x")
            time.sleep(0.3)  # the readers connected first: the replies arrive under load
            posted = post_load(clients, s.path, seconds - 0.6,
                               f"{tag}.{s.name}" if side == "forum" else "c.x")
            read = load.finish(reads)
            if side == "forum":
                outcome.forum, outcome.reads = posted, read
                sampler.phase = "the ceiling's turn"
            else:
                outcome.ceiling, outcome.ceiling_reads = posted, read
    outcome.rss_max = sampler.by_phase.get(s.name, 0)
    sampler.moment(f"after {s.name}")


# -- the report ---------------------------------------------------------------------

def _f(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _pct(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def _sql(outcome: Outcome) -> str:
    if not outcome.sql:
        return "n/a"
    low, high = min(outcome.sql), max(outcome.sql)
    if low == high:
        return f"{low:.0f}"
    return f"{statistics.median(outcome.sql):.0f} ({low:.0f}–{high:.0f})"


def targets(by: dict[str, Outcome], max_rss: int,
            baseline: dict | None) -> list[tuple[str, str, str]]:
    """Issue #15's targets against this run's figures: (target, figure, verdict)."""
    rows = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**met**" if ok else "**not met**")

    def ratio_row(names: tuple[str, ...], floor: float, label: str) -> None:
        got = [by[n] for n in names if n in by]
        if not got:
            rows.append((label, "—", verdict(None)))
            return
        figure = "; ".join(f"{o.scenario.name} {_pct(o.ratio)}" for o in got)
        rows.append((label, figure, verdict(all(o.ratio >= floor for o in got))))

    ratio_row(("thread_first", "thread_last"), 0.5,
              "anonymous thread page ≥ 50% of its same-bytes ceiling")
    ratio_row(("home", "category"), 0.5, "front page and category ≥ 50% of their ceilings")
    ratio_row(("thread_member",), 0.25, "signed-in thread page ≥ 25% of its ceiling")

    if "thread_first" in by and "thread_last" in by:
        a, b = by["thread_first"].sql, by["thread_last"].sql
        same = bool(a) and set(a) == set(b)
        rows.append(("SQL statements per page constant whatever the page number",
                     f"thread page 1: {_sql(by['thread_first'])}; last page: "
                     f"{_sql(by['thread_last'])}", verdict(same)))
    if baseline:
        changed = [f"{name} {_sql(o)} here, {baseline['scenarios'][name]['sql']:.0f} there"
                   for name, o in by.items() if not o.scenario.writes
                   and name in baseline["scenarios"]
                   and baseline["scenarios"][name].get("sql") is not None
                   and o.sql and o.sql_median != baseline["scenarios"][name]["sql"]]
        rows.append((f"SQL statements per page constant whatever the data size (against "
                     f"{baseline['info']['data_size']})",
                     "; ".join(changed) or "every page the same", verdict(not changed)))
    else:
        rows.append(("SQL statements per page constant whatever the data size",
                     "needs --baseline (a run on other data)", verdict(None)))

    if "thread_first" in by and "thread_last" in by:
        first, last = by["thread_first"], by["thread_last"]
        ratio = last.app_p50 / first.app_p50 if first.app_ms and last.app_ms else float("nan")
        rows.append(("last page of the long thread within 1.2× the first (app p50)",
                     f"{_f(last.app_p50)} ms ÷ {_f(first.app_p50)} ms = {_f(ratio, 2)}×",
                     verdict(None if math.isnan(ratio) else ratio <= 1.2)))
    for name in ("category", "home"):
        if name not in by:
            continue
        if baseline and name in baseline["scenarios"]:
            there = baseline["scenarios"][name]["app_p50_ms"]
            ratio = by[name].app_p50 / there if there else float("nan")
            rows.append((f"{name} within 1.2× of its figure on {baseline['info']['data_size']} "
                         "(app p50)", f"{_f(by[name].app_p50)} ms ÷ {_f(there)} ms = "
                         f"{_f(ratio, 2)}×", verdict(None if math.isnan(ratio) else ratio <= 1.2)))
        else:
            rows.append((f"{name} within 1.2× of its small-data figure",
                         "needs --baseline (the small run's .json)", verdict(None)))
    if "search" in by:
        search = by["search"]
        rows.append(("search p50 under 50 ms (client side, 16 connections reading)",
                     f"{_f(search.forum.p50_ms)} ms (app p50 {_f(search.app_p50)} ms)",
                     verdict(search.forum.p50_ms < 50)))
    if "reply" in by:
        reply = by["reply"]
        rows.append(("a reply's p99 under 100 ms while 16 connections read",
                     f"{_f(reply.forum.p99_ms)} ms", verdict(reply.forum.p99_ms < 100)))
    rows.append(("worker RSS under 150 MB throughout", f"max {_mib(max_rss)} MiB",
                 verdict(max_rss < 150 * 1000 * 1000 / 1024)))
    return rows


def report(info: dict, outcomes: list[Outcome], sampler: MemorySampler,
           baseline: dict | None) -> str:
    by = {o.scenario.name: o for o in outcomes}
    reads = [o for o in outcomes if not o.scenario.writes]
    writes = [o for o in outcomes if o.scenario.writes]
    lines = [
        f"# Forum benchmark: {info['database']}, {info['data_size']} data",
        "",
        f"{info['when']} · commit {info['commit']}",
        "",
        f"Command: `{info['command']}`",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in info["table"].items()),
        "",
        "## Pages",
        "",
        f"Each page loaded for {info['seconds']:g} s by {info['generator_line']}, first on "
        "the forum, then at once on the same-bytes ceiling (bench/ceiling.py: the page's "
        "captured bytes, same status and content type, same gunicorn settings). "
        "**÷ ceiling** is the forum's requests/s over the ceiling's. Bytes: the page's "
        "body. SQL: statements per request from the app's request log (median, and the "
        "range when it varies). App p50: the app's own time, without queueing.",
        "",
        "| scenario | path | req/s | p50 ms | p99 ms | bytes | SQL | app p50 ms "
        "| ceiling req/s | ceiling p50 ms | ÷ ceiling | errors | worker RSS max MiB |",
        "| --- | --- |" + " ---: |" * 11,
    ]
    for o in reads:
        lines.append(
            f"| {o.scenario.label} | `{o.scenario.path}` | {_f(o.forum.rps)} "
            f"| {_f(o.forum.p50_ms)} | {_f(o.forum.p99_ms)} | {o.body_bytes:,} | {_sql(o)} "
            f"| {_f(o.app_p50)} | {_f(o.ceiling.rps)} | {_f(o.ceiling.p50_ms)} "
            f"| **{_pct(o.ratio)}** | {o.forum.errors} | {_mib(o.rss_max)} |")
    if writes:
        lines += [
            "",
            "## Replies under read load",
            "",
            f"{info['writers']} signed-in members post replies back to back (Python "
            f"clients, each with its CSRF token; a 302 is success) while "
            f"`{by[READ_UNDER_WRITES].scenario.path}` is read by {info['readers']}; then "
            "the same against the "
            "ceiling (its captured 302 for the POST, the thread's bytes for the reads).",
            "",
            "| scenario | replies | reply p50 ms | reply p99 ms | SQL | app p50 ms "
            "| reads req/s meanwhile | reads p99 ms | ceiling reply p50 / p99 ms "
            "| ÷ ceiling (replies/s) | errors | worker RSS max MiB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for o in writes:
            lines.append(
                f"| {o.scenario.label} | {o.forum.requests} | {_f(o.forum.p50_ms)} "
                f"| {_f(o.forum.p99_ms)} | {_sql(o)} | {_f(o.app_p50)} | {_f(o.reads.rps)} "
                f"| {_f(o.reads.p99_ms)} | {_f(o.ceiling.p50_ms)} / {_f(o.ceiling.p99_ms)} "
                f"| **{_pct(o.ratio)}** | {o.forum.errors + o.reads.errors} "
                f"| {_mib(o.rss_max)} |")
    lines += [
        "",
        "## A worker's resident memory",
        "",
        f"The forum's gunicorn workers' RSS from /proc, sampled every {sampler.every:g} s "
        f"through the run ({sampler.samples:,} samples): the largest worker at most "
        f"**{_mib(sampler.max_rss)} MiB**.",
        "",
        "| moment | each worker's RSS MiB |",
        "| --- | --- |",
        *(f"| {label} | {', '.join(_mib(k) for k in rss)} |" for label, rss in sampler.moments),
        "",
        "| phase (samples between the moments) | largest worker's RSS MiB |",
        "| --- | ---: |",
        *(f"| {phase} | {_mib(kib)} |" for phase, kib in sampler.by_phase.items()),
        "",
        "## Targets (issue #15)",
        "",
    ]
    if info["data_size"] != "million":
        lines += ["The targets are set for the 1,000,000-post data set; on this data they "
                  "show the direction only.", ""]
    lines += ["| target | this run | verdict |", "| --- | --- | --- |"]
    lines += [f"| {t} | {figure} | {v} |" for t, figure, v in targets(by, sampler.max_rss,
                                                                     baseline)]
    if info["generator"] != "wrk":
        lines += ["", "**wrk was not used** (not installed, or `--no-wrk`), so the Python "
                  "clients loaded the pages: they "
                  "share the CPUs with the server and reach lower rates; the ratios still "
                  "compare like with like. Install wrk (`apt-get install -y wrk`)."]
    lines.append("")
    return "\n".join(lines)


def figures(info: dict, outcomes: list[Outcome], sampler: MemorySampler) -> dict:
    """The run as JSON, beside the report: a later run's --baseline."""
    return {"info": {k: v for k, v in info.items() if k != "table"},
            "max_worker_rss_kib": sampler.max_rss,
            "scenarios": {o.scenario.name: {
                "path": o.scenario.path, "rps": o.forum.rps, "p50_ms": o.forum.p50_ms,
                "p99_ms": o.forum.p99_ms, "bytes": o.body_bytes,
                "sql": o.sql_median if o.sql else None,
                "app_p50_ms": None if math.isnan(o.app_p50) else o.app_p50,
                "ceiling": asdict(o.ceiling), "ratio": o.ratio,
            } for o in outcomes}}


def _git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S607
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            # The reports kept in bench/ are not what is measured.
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",  # noqa: S607
             ":!bench/results*"], cwd=ROOT,
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(),
                          re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
        memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(),
                           re.MULTILINE)
        ram = f", {int(memory.group(1)) / 1024 / 1024:.1f} GiB RAM" if memory else ""
    except OSError:
        ram = ""
    return f"{os.cpu_count()} CPUs ({cpu}){ram}, {platform.system()} {platform.release()}"


def _database_version(url: str) -> str:
    if make_url(url).get_backend_name() == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(sql("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {version}"


def _versions() -> str:
    found = []
    for name in ("flask", "werkzeug", "jinja2", "sqlalchemy", "gunicorn", "psycopg"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return f"Python {platform.python_version()}, " + ", ".join(found)


# -- main -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="Postgres (or SQLite) URL whose database name "
                        "contains 'bench'; it is emptied. Default: SQLite in a temp directory.")
    parser.add_argument("--size", choices=SIZES, default="small", help="small: 300 threads "
                        "of 10 posts and one of 500; million: 19,998 of 45, one of 90 "
                        "and one of 100,000 (1,000,000 posts over 20,000 threads)")
    parser.add_argument("--threads", type=int, help="short threads to load (overrides --size)")
    parser.add_argument("--posts", type=int, help="posts in each short thread")
    parser.add_argument("--long-posts", type=int, help="posts in the long thread")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for "
                        "the forum and the ceiling alike (2, as in issue #15)")
    parser.add_argument("--seconds", type=float, default=5, help="load time per scenario "
                        "and server")
    parser.add_argument("--writers", type=int, default=2, help="members posting replies "
                        "back to back in the reply scenarios")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated scenarios to run "
                        f"({READ_UNDER_WRITES} always runs): " + ", ".join(SCENARIO_NAMES))
    parser.add_argument("--no-wrk", action="store_true", help="load with Python threads even "
                        "when wrk is installed")
    parser.add_argument("--baseline", type=Path, help="the .json of an earlier run (on small "
                        "data) for the targets that compare data sizes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md",
                        help="the Markdown report; its figures go beside it as .json")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (the "
                        "SQLite database, the captured pages and the server logs)")
    args = parser.parse_args(argv)
    if args.seconds < 2 or args.writers < 1 or args.workers < 1:
        parser.error("--seconds must be at least 2; --writers and --workers positive")
    threads, posts, long_posts = SIZES[args.size]
    threads, posts = args.threads or threads, args.posts or posts
    long_posts = args.long_posts or long_posts
    wanted = set(SCENARIO_NAMES)
    if args.only:
        wanted = {READ_UNDER_WRITES, *args.only.split(",")}
        if wanted - set(SCENARIO_NAMES):
            parser.error(f"unknown scenario: {', '.join(sorted(wanted - set(SCENARIO_NAMES)))}")
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None

    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    url = fresh_database(args.database_url, workdir)
    backend = make_url(url).get_backend_name()
    env = app_environment(url)
    env.pop("REDIS_URL", None)
    shown_url = make_url(url).render_as_string(hide_password=True)
    print(f"Database: {shown_url}", file=sys.stderr)

    migrate_s = flask_command(env, "db", "upgrade")
    short_s = flask_command(env, "seed", "bulk", "--threads", str(threads),
                            "--posts", str(posts))
    remainder = 0 if (args.threads or args.posts) else REMAINDER.get(args.size, 0)
    if remainder:
        short_s += flask_command(env, "seed", "bulk", "--threads", "1", "--posts",
                                 str(remainder))
    long_s = flask_command(env, "seed", "bulk", "--threads", "1", "--posts", str(long_posts))
    fx = read_fixture(url)
    fx.watched_thread = fx.short_threads.pop()  # the last short thread; replies go to the first
    add_watchers(url, fx.watched_thread, WATCHERS)
    if backend == "postgresql":
        analyze(url)

    load = PythonClients() if args.no_wrk or not shutil.which("wrk") else None
    if load is None:
        script = workdir / "bench.lua"
        script.write_text(WRK_SCRIPT)
        load = Wrk(script)
    shown_argv = [shown_url if a == args.database_url else a for a in argv]
    info = {
        "database": backend + (" (temporary file)" if args.database_url is None else ""),
        "data_size": args.size if not (args.threads or args.posts or args.long_posts)
        else f"custom ({threads}×{posts} + {long_posts})",
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "command": shlex.join([".venv/bin/python", "bench/run.py", *shown_argv]),
        "seconds": args.seconds, "writers": args.writers, "generator": load.name,
        "generator_line": (f"wrk -t2 -c{CONNECTIONS} --latency" if load.name == "wrk" else
                           f"{CONNECTIONS} Python client threads (not wrk)"),
        "readers": (f"wrk at {CONNECTIONS} connections" if load.name == "wrk"
                    else f"{CONNECTIONS} Python client threads"),
    }
    info["table"] = {
        "machine": _machine(),
        "load average before": _load_average(),
        "versions": f"{_versions()}; {_database_version(url)}",
        "load generator": f"{load.version}" + ("" if load.name == "wrk" else
                                                " (**not wrk: the Python fallback**)"),
        "server": f"gunicorn, {args.workers} sync workers, for the forum and the ceiling",
        "data": f"{fx.counts['posts']:,} posts in {fx.counts['threads']:,} threads "
                f"({threads:,} of {posts} posts"
                f"{f', one of {remainder}' if remainder else ''}, one of {long_posts:,}), "
                f"{fx.counts['users']:,} accounts and {WATCHERS:,} more watching one thread",
        "loading": f"`db upgrade` {migrate_s:.1f} s; `seed bulk` {short_s:.1f} s + "
                   f"{long_s:.1f} s ({fx.counts['posts'] / (short_s + long_s):,.0f}"
                   " posts/s)" + ("; then ANALYZE" if backend == "postgresql" else ""),
    }

    forum = BenchServer(env, workdir / "forum.log", workers=args.workers,
                        target="forum:create_app()")
    tag = f"b{os.getpid()}"
    scenarios = [s for s in plan(fx, per_page=20) if s.name in wanted]
    ceiling = None
    try:
        forum.start()
        sampler = MemorySampler(forum)
        sampler.start()
        sampler.moment("started, idle")
        reader = HttpClient(forum.base)
        reader.login(fx.member, bulk.BULK_PASSWORD)
        cookie = cookie_header(reader)
        writers = []
        for n in range(args.writers):
            writer = HttpClient(forum.base)
            writer.login(f"bulk_member_{(n + 1) % bulk.MEMBERS + 1:02d}", bulk.BULK_PASSWORD)
            writer.token(f"/t/{fx.short_threads[0]}")
            writers.append(writer)
        outcomes, manifest = capture(forum.base, scenarios, cookie, writers[0],
                                     workdir / "pages")
        ceiling = BenchServer({**env, "CEILING_PAGES": str(manifest)}, workdir / "ceiling.log",
                              workers=args.workers, target="bench.ceiling:create_app()")
        ceiling.start()
        ceiling_writers = [HttpClient(ceiling.base) for _ in writers]
        print("Warming up…", file=sys.stderr)
        sampler.phase = "warm-up"
        warm_up([forum.base, ceiling.base], scenarios, cookie, args.workers)
        sampler.moment("after the warm-up")
        for s in scenarios:
            print(f"  {s.name}…", file=sys.stderr)
            measure(outcomes[s.name], load, forum, ceiling, sampler, cookie, writers,
                    ceiling_writers, args.seconds, tag, _read_path(scenarios))
        sampler.phase = "end"
        sampler.moment("at the end")
        sampler.stop()
    except AssertionError as error:  # a server did not start, or a member could not sign in
        sys.exit(str(error))
    finally:
        forum.stop()
        if ceiling is not None:
            ceiling.stop()
    info["table"]["load average after"] = _load_average()
    logged = app_log(forum.log_path, tag)
    for outcome in outcomes.values():
        outcome.app_ms = logged.get(outcome.scenario.name, {}).get("ms", [])
        outcome.sql = logged.get(outcome.scenario.name, {}).get("sql", [])

    results = list(outcomes.values())
    markdown = report(info, results, sampler, baseline)
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown)
    args.out.with_suffix(".json").write_text(json.dumps(figures(info, results, sampler),
                                                        indent=1))
    print(f"Written to {args.out} and {args.out.with_suffix('.json')}", file=sys.stderr)
    if args.keep:
        print(f"Kept {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def _load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
