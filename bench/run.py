"""Benchmark the forum through a real server: speed and memory, never timed tests.

    .venv/bin/python bench/run.py                       # SQLite in a temporary directory
    .venv/bin/python bench/run.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

One run: a fresh database, `flask --app forum db upgrade`, `flask --app forum seed bulk`
(many short threads and one long one), gunicorn on a free port, then the scenarios
taking turns, a slice of time each per round, with concurrent clients (threads +
urllib, with cookies and CSRF tokens, like a browser). The machine may be shared
and busy, so besides absolute figures the report gives ratios within the run
(each page against /healthz, the last page of a long thread against its first,
writes against reads, memory after the load against before), which move much
less from run to run than milliseconds do. See bench/README.md.
"""

# Random choices pick test data, not secrets; commands are this checkout's own.
# ruff: noqa: S311, S603

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url
from sqlalchemy import text as sql

from forum import bulk

# The server and the clients are the test suite's own (tests/live.py), from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live import BIN, ROOT, HttpClient, LiveServer, app_environment  # noqa: E402

SCENARIO_NAMES = ("healthz", "home", "thread_first", "thread_last", "thread_short", "category",
                  "tag", "profile", "search", "feed", "write", "write_watched")
WATCHERS = 1000  # members watching the thread `write_watched` replies to
SEARCHES = ("fatigue", "cooling physio", "neurologist appointment", "spasticity cramp")


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


# -- the server ---------------------------------------------------------------

class BenchServer(LiveServer):
    """The live server (tests/live.py), and what its processes hold in memory."""

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

    def memory(self) -> Memory:
        master = _process_memory(self.process.pid)
        workers = [_process_memory(pid) for pid in self.worker_pids()]
        return Memory(master, workers)


def _kib(text: str, key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _process_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB. PSS shares pages out between the processes that map them,
    so the PSS of master + workers adds up without counting shared libraries twice."""
    try:
        rss = _kib(Path(f"/proc/{pid}/status").read_text(), "VmRSS")
    except OSError:
        return 0, 0
    try:
        pss = _kib(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
    except OSError:
        pss = 0
    return rss, pss


@dataclass
class Memory:
    master: tuple[int, int]
    workers: list[tuple[int, int]]

    @property
    def rss(self) -> int:
        return self.master[0] + sum(w[0] for w in self.workers)

    @property
    def pss(self) -> int:
        return self.master[1] + sum(w[1] for w in self.workers)

    @property
    def worker_rss(self) -> list[int]:
        return [w[0] for w in self.workers]


# -- scenarios --------------------------------------------------------------------

@dataclass
class Scenario:
    name: str
    label: str
    # (rng, client, request number) -> (path, form data or None)
    path: Callable[[random.Random, HttpClient, int], tuple[str, dict | None]]
    expect: int = 200
    writes: bool = False


@dataclass
class Result:
    scenario: Scenario
    latencies: list[float]  # seconds, every request
    errors: int
    wall: float
    server_ms: list[float] = field(default_factory=list)

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.wall += other.wall

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def pct(self, p: int) -> float:
        return percentile(self.latencies, p) * 1000

    def server_pct(self, p: int) -> float:
        return percentile(self.server_ms, p)


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def scenarios(fx: Fixture, per_page: int) -> list[Scenario]:
    last_page = -(-fx.long_posts // per_page)

    def reply(rng, client, n):
        thread = rng.choice(fx.short_threads)
        return f"/t/{thread}/reply", {"csrf_token": client.csrf,
                                      "body": f"Benchmark reply {n}: pacing and rest help me."}

    def watched_reply(rng, client, n):
        return f"/t/{fx.watched_thread}/reply", {
            "csrf_token": client.csrf, "body": f"Benchmark reply {n} to a watched thread."}

    return [
        Scenario("healthz", "/healthz (baseline)", lambda rng, c, n: ("/healthz", None)),
        Scenario("home", "home page /", lambda rng, c, n: ("/", None)),
        Scenario("thread_first", f"long thread, page 1 of {last_page}",
                 lambda rng, c, n: (f"/t/{fx.long_thread}", None)),
        Scenario("thread_last", f"long thread, page {last_page} of {last_page}",
                 lambda rng, c, n: (f"/t/{fx.long_thread}?page={last_page}", None)),
        Scenario("thread_short", "short thread (random)",
                 lambda rng, c, n: (f"/t/{rng.choice(fx.short_threads)}", None)),
        Scenario("category", f"category /c/{fx.category}",
                 lambda rng, c, n: (f"/c/{fx.category}", None)),
        Scenario("tag", f"tag /tag/{fx.tag}", lambda rng, c, n: (f"/tag/{fx.tag}", None)),
        Scenario("profile", f"profile /u/{fx.member}",
                 lambda rng, c, n: (f"/u/{fx.member}", None)),
        Scenario("search", "search /search?q=… (4 queries)",
                 lambda rng, c, n: ("/search?" + urllib.parse.urlencode(
                     {"q": rng.choice(SEARCHES)}), None)),
        Scenario("feed", "Atom feed /feed.atom", lambda rng, c, n: ("/feed.atom", None)),
        Scenario("write", "reply, signed in (POST)", reply, expect=302, writes=True),
        Scenario("write_watched", f"reply to a thread {WATCHERS:,} members watch (POST)",
                 watched_reply, expect=302, writes=True),
    ]


def run_scenario(scenario: Scenario, clients: list[HttpClient], seconds: float,
                 tag: str, max_requests: int | None = None) -> Result:
    """Every client sends requests back to back until time is up (or, when warming up,
    until it has sent `max_requests`)."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def work(i: int) -> None:
        client, rng = clients[i], random.Random(i)
        start.wait()
        n = 0
        while time.perf_counter() < stop_at[0] and (max_requests is None or n < max_requests):
            path, data = scenario.path(rng, client, n)
            began = time.perf_counter()
            status = client.request(path, data, f"{tag}.{scenario.name}.{i}.{n}").status
            latencies[i].append(time.perf_counter() - began)
            errors[i] += status != scenario.expect
            n += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for worker in workers:
        worker.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    return Result(scenario, [x for xs in latencies for x in xs], sum(errors), wall)


def server_timings(log_path: Path, tag: str) -> dict[str, list[float]]:
    """The app's own duration for each request (forum.requestlog), by scenario: the time
    spent in the app, without the client's or the network's share."""
    timings: dict[str, list[float]] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        parts = str(entry.get("request_id", "")).split(".")
        if len(parts) == 4 and parts[0] == tag and "ms" in entry:
            timings.setdefault(parts[1], []).append(float(entry["ms"]))
    return timings


# -- the report ---------------------------------------------------------------------

def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b and not math.isnan(a) and not math.isnan(b) else "n/a"


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def report(info: dict, results: list[Result], memory: dict[str, Memory]) -> str:
    by = {r.scenario.name: r for r in results}
    base, short = by["healthz"], by["thread_short"]
    reads = [r for r in results if not r.scenario.writes and r.scenario.name != "healthz"]
    lines = [
        f"# Forum benchmark: {info['database']}",
        "",
        f"{info['when']} · commit {info['commit']} · {info['machine']}",
        "",
        f"Data: {info['data']}. Load: {info['load']}.",
        f"Server: gunicorn, {info['workers']} sync workers. Clients: {info['clients']} "
        f"threads, {info['seconds']:g} s per scenario after a warm-up, taken in "
        f"{info['rounds']} rounds (every scenario in turn, each round). "
        f"Load average {info['load_before']} before, {info['load_after']} after.",
        "",
        "## Requests",
        "",
        "Client-side latency is what a visitor waits for; \"app ms\" is the app's own time "
        "for the same requests (from its request log, to 0.1 ms), without queueing, the "
        "network or the client's share. /healthz takes about 0.2 ms in the app, too little "
        "to divide by, so app times are compared with the short thread page instead.",
        "",
        "| scenario | requests | errors | req/s | p50 ms | p95 ms | p99 ms | app p50 ms "
        "| app p99 ms | p50 ÷ healthz | req/s ÷ healthz | app p50 ÷ short thread |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario.label} | {r.count} | {r.errors} | {r.rps:.1f} | {r.pct(50):.1f} "
            f"| {r.pct(95):.1f} | {r.pct(99):.1f} | {_ms(r.server_pct(50))} "
            f"| {_ms(r.server_pct(99))} "
            f"| {_ratio(r.pct(50), base.pct(50))} | {_ratio(r.rps, base.rps)} "
            f"| {_ratio(r.server_pct(50), short.server_pct(50))} |"
        )
    pooled = Result(Scenario("reads", "all reads pooled (healthz excluded)", None),
                    [x for r in reads for x in r.latencies], 0, 0,
                    [x for r in reads for x in r.server_ms])
    comparisons = [("thread_last", "thread_first", "long thread: last page ÷ first page"),
                   ("thread_first", "thread_short", "long thread page 1 ÷ short thread"),
                   ("write", "thread_short", "write ÷ short thread read"),
                   ("write", "reads", "write ÷ all reads pooled (healthz excluded)"),
                   ("write_watched", "write",
                    f"reply to a {WATCHERS:,}-watcher thread ÷ reply to an unwatched one")]
    if reads:
        by["reads"] = pooled
        slowest = max(reads, key=lambda r: r.server_pct(50))
        fastest = min(reads, key=lambda r: r.server_pct(50))
        comparisons.append((slowest.scenario.name, fastest.scenario.name,
                            f"slowest read in the app ({slowest.scenario.name}) ÷ fastest "
                            f"({fastest.scenario.name})"))
    lines += [
        "",
        "## Ratios within this run",
        "",
        "| comparison | client p50 | client p95 | app p50 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for a, b, label in comparisons:
        if a in by and b in by:
            a, b = by[a], by[b]
            lines.append(f"| {label} | {_ratio(a.pct(50), b.pct(50))} "
                         f"| {_ratio(a.pct(95), b.pct(95))} "
                         f"| {_ratio(a.server_pct(50), b.server_pct(50))} |")

    start, warm, after = memory["start"], memory["warm"], memory["after"]
    served = info["requests_measured"]
    growth = (after.rss - warm.rss) / 1024
    lines += [
        "",
        "## Server memory (gunicorn master + workers, from /proc)",
        "",
        "| moment | RSS MiB | PSS MiB | master RSS MiB | worker RSS MiB |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, label in (("start", "started, idle"),
                        ("warm", "after the warm-up"),
                        ("after", f"after the load ({served} more requests)")):
        m = memory[name]
        lines.append(f"| {label} | {_mib(m.rss)} | {_mib(m.pss)} | {_mib(m.master[0])} "
                     f"| {', '.join(_mib(w) for w in m.worker_rss)} |")
    lines += [
        "",
        f"RSS after the load ÷ after the warm-up: {_ratio(after.rss, warm.rss)} "
        f"({growth:+.1f} MiB, {growth * 1000 / served if served else 0:+.2f} MiB per 1,000 "
        f"requests); ÷ at start: {_ratio(after.rss, start.rss)}. "
        f"PSS after ÷ after the warm-up: {_ratio(after.pss, warm.pss)}.",
        "",
    ]
    return "\n".join(lines)


def _git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S607
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,  # noqa: S607
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def _load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


# -- main -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="Postgres (or SQLite) URL whose database name "
                        "contains 'bench'; it is emptied. Default: SQLite in a temp directory.")
    parser.add_argument("--threads", type=int, default=300, help="short threads to load")
    parser.add_argument("--posts", type=int, default=10, help="posts in each short thread")
    parser.add_argument("--long-posts", type=int, default=500, help="posts in the long thread")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=5, help="measured time per scenario")
    parser.add_argument("--rounds", type=int, default=5, help="slices the scenarios take "
                        "turns in (each runs --seconds / --rounds at a time)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated scenarios to run "
                        "(healthz and thread_short always run, as baselines): "
                        + ", ".join(SCENARIO_NAMES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (the "
                        "SQLite database and the server log)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.clients < 1 or args.workers < 1:
        parser.error("--rounds, --seconds, --clients and --workers must be positive")
    wanted = set(SCENARIO_NAMES)
    if args.only:
        wanted = {"healthz", "thread_short", *args.only.split(",")}
        if wanted - set(SCENARIO_NAMES):
            parser.error(f"unknown scenario: {', '.join(sorted(wanted - set(SCENARIO_NAMES)))}")

    workdir = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    url = fresh_database(args.database_url, workdir)
    backend = make_url(url).get_backend_name()
    env = app_environment(url)
    env.pop("REDIS_URL", None)

    print(f"Database: {make_url(url).render_as_string(hide_password=True)}", file=sys.stderr)
    migrate_s = flask_command(env, "db", "upgrade")
    short_s = flask_command(env, "seed", "bulk", "--threads", str(args.threads),
                            "--posts", str(args.posts))
    long_s = flask_command(env, "seed", "bulk", "--threads", "1",
                           "--posts", str(args.long_posts))
    fx = read_fixture(url)
    # The last short thread (the `write` scenario picks among the others).
    fx.watched_thread = fx.short_threads.pop()
    add_watchers(url, fx.watched_thread, WATCHERS)
    if backend == "postgresql":
        analyze(url)
    loaded = args.threads * args.posts + args.long_posts
    info = {
        "database": backend + (" (temporary file)" if args.database_url is None else ""),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
                   f"{platform.system()} {platform.release()}",
        "data": f"{fx.counts['threads']} threads ({args.threads} of {args.posts} posts, one of "
                f"{args.long_posts}), {fx.counts['posts']} posts, {fx.counts['users']} accounts "
                f"and {WATCHERS:,} more who watch one thread (for `write_watched`)",
        "load": f"`db upgrade` {migrate_s:.1f} s; `seed bulk` {short_s + long_s:.1f} s "
                f"({loaded / (short_s + long_s):.0f} posts/s through the services, one process)"
                + ("; then ANALYZE" if backend == "postgresql" else ""),
        "workers": args.workers, "clients": args.clients, "seconds": args.seconds,
        "rounds": args.rounds,
        "load_before": _load_average(),
    }

    server = BenchServer(env, workdir / "gunicorn.log", workers=args.workers,
                         options=("--log-level", "warning", "--timeout", "60"))
    tag = f"b{os.getpid()}"
    try:
        server.start()
        server.wait_until(lambda: len(server.worker_pids()) == args.workers, 30,
                          "gunicorn did not start all its workers")
        time.sleep(1)  # workers load the app after they fork; let the last ones finish
        memory = {"start": server.memory()}
        readers = [HttpClient(server.base) for _ in range(args.clients)]
        writers = [HttpClient(server.base) for _ in range(args.clients)]
        for n, writer in enumerate(writers):
            writer.login(f"bulk_member_{n % bulk.MEMBERS + 1:02d}", bulk.BULK_PASSWORD)
            writer.token(f"/t/{fx.short_threads[0]}")
        plan = scenarios(fx, per_page=20)
        assert [s.name for s in plan] == list(SCENARIO_NAMES)
        plan = [s for s in plan if s.name in wanted]
        print("Warming up…", file=sys.stderr)
        for scenario in plan:
            run_scenario(scenario, writers if scenario.writes else readers, 30, "warm",
                         max_requests=3)
        memory["warm"] = server.memory()
        # Round-robin, a slice of each scenario per round: a burst of outside load on
        # the machine then falls on every scenario alike rather than on one of them.
        results = {s.name: Result(s, [], 0, 0.0) for s in plan}
        for round_number in range(1, args.rounds + 1):
            print(f"  round {round_number} of {args.rounds}…", file=sys.stderr)
            for scenario in plan:
                part = run_scenario(scenario, writers if scenario.writes else readers,
                                    args.seconds / args.rounds, tag)
                results[scenario.name].merge(part)
        results = list(results.values())
        memory["after"] = server.memory()
    except AssertionError as error:  # gunicorn did not start, or a member could not sign in
        sys.exit(str(error))
    finally:
        server.stop()
    info["load_after"] = _load_average()
    info["requests_measured"] = sum(r.count for r in results)
    timings = server_timings(server.log_path, tag)
    for result in results:
        result.server_ms = timings.get(result.scenario.name, [])

    markdown = report(info, results, memory)
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown)
    print(f"Written to {args.out}", file=sys.stderr)
    if args.keep:
        print(f"Kept {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
