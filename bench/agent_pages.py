"""Benchmark of the agent console's pages on a large database (20,000 residents, 200,000 visits).

Usage:
  .venv/bin/python bench/agent_pages.py [--database URL] [--reuse] [--mode inprocess|gunicorn|both]
                                       [--requests 30] [--warmups 3] [--only REGEX] [--json FILE]

  --database  sqlite:////tmp/voisinage-bench.db (default) or postgresql://postgres@127.0.0.1:5432/
              bench_agent (the database is created if missing, dropped and created again unless
              --reuse is given and it already holds the bench data).
  --reuse     keep an existing bench database (the migrations still run: new indexes apply).
  --fresh     rebuild even if the data are there (the default without --reuse).

Steps: run the migrations (``flask_migrate.upgrade``), build the data with
:mod:`bench.scale_data` (Core inserts in batches of 5,000; about a minute), then log in as the
Pau agent and as the administrator and request each page of the console:

- in process, with the Flask test client (no network, no server): ``--requests`` timed requests
  after ``--warmups`` untimed ones; the SQL statements of each request are counted with a
  ``before_cursor_execute`` listener on the engine, and the rows the page shows are read from
  the template's context (``template_rendered``);
- on a real server (``--mode gunicorn`` or ``both``): gunicorn with 2 workers on 127.0.0.1
  (testing configuration, like ``tests/live.py``), fewer requests, as a sanity check that
  includes HTTP, the WSGI server and the cookie round trip.

Each list is measured on its first page and on a deep page (page 20, or its last page when it
has fewer). The table gives the median and 95th percentile in milliseconds, the median CPU
time of the bench's process per request (in process: the app's and SQLite's work, not
PostgreSQL's; it moves much less than the wall time when other work loads the machine), the
statements per request (the same on page 1 and page 20, for the agent and the administrator,
means no query per row) and PASS when the median is under the target (150 ms). The whole run stops itself:
every page gets at most a few seconds (at least 5 timed requests), and past ``--deadline``
seconds the remaining pages get the minimum.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import template_rendered  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import scale_data  # noqa: E402
from config import sqlalchemy_url  # noqa: E402

DEFAULT_DATABASE = "sqlite:////tmp/voisinage-bench.db"
TARGET_MS = 150.0
DEEP_PAGE = 20
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# Pages ------------------------------------------------------------------------------------------

def _items(name: str) -> Callable[[dict], int]:
    return lambda ctx: len(ctx[name].items)


def _pages_of(name: str) -> Callable[[dict], int]:
    return lambda ctx: ctx[name].pages


@dataclass(frozen=True)
class PageSpec:
    """A page of the console: its path, how to count its rows, how many pages it has."""

    name: str
    path: str
    rows: Callable[[dict], int]
    pages: Callable[[dict], int] | None = None
    page_arg: str = "page"


def page_specs(campaign_id) -> list[PageSpec]:
    """Every page measured, in the table's order."""
    return [
        PageSpec("dashboard", "/agent/", lambda c: len(c["urgent"])),
        PageSpec("residents", "/agent/habitants", lambda c: len(c["rows"]), lambda c: c["pages"]),
        PageSpec("residents waiting", "/agent/habitants?etat=waiting", lambda c: len(c["rows"])),
        PageSpec("volunteers to vet", "/agent/benevoles", lambda c: len(c["rows"]),
                 lambda c: c["pages"]),
        PageSpec("volunteers approved", "/agent/benevoles?file=valides", lambda c: len(c["rows"])),
        PageSpec("referrals", "/agent/signalements", lambda c: len(c["rows"])),
        PageSpec("proposals", "/agent/propositions",
                 lambda c: len(c["proposals"].items) + len(c["awaiting"].items),
                 _pages_of("proposals")),
        PageSpec("attention", "/agent/suivi", _items("queue"), _pages_of("queue")),
        PageSpec("concerns", "/agent/alertes", _items("rows"), _pages_of("rows")),
        PageSpec("campaigns", "/agent/campagnes", _items("campaigns")),
        PageSpec("campaign calls", f"/agent/campagnes/{campaign_id}", _items("calls"),
                 _pages_of("calls")),
        PageSpec("statistics", "/agent/statistiques",
                 lambda c: len(c["stats"].months) + len(c["stats"].places)),
        PageSpec("journal", "/agent/journal", lambda c: len(c["page"].items),
                 lambda c: c["page"].pages),
    ]


def with_page(path: str, number: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}page={number}"


# Results ----------------------------------------------------------------------------------------

@dataclass
class Result:
    """The measures of one page for one role in one mode."""

    page: str
    path: str
    role: str
    mode: str
    times_ms: list[float] = field(default_factory=list)
    #: CPU time of this process per request (in process only): the app and SQLite's work,
    #: not PostgreSQL's; less sensitive than the wall time to other work on the machine.
    cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def cpu_median(self) -> str:
        return f"{statistics.median(self.cpu_ms):.1f}" if self.cpu_ms else "-"

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def query_count(self) -> str:
        if not self.queries:
            return "-"
        common = Counter(self.queries).most_common(1)[0][0]
        low, high = min(self.queries), max(self.queries)
        return str(common) if low == high else f"{common} ({low}-{high})"

    def passed(self, target: float) -> bool:
        return self.median < target


def print_table(results: list[Result], target: float, out=sys.stdout) -> None:
    header = ("page", "path", "role", "mode", "n", "median ms", "p95 ms", "cpu ms", "queries",
              "rows", f"<{target:g} ms")
    lines = [header] + [
        (r.page, r.path, r.role, r.mode, str(len(r.times_ms)), f"{r.median:.1f}",
         f"{r.p95:.1f}", r.cpu_median, r.query_count, "-" if r.rows is None else str(r.rows),
         "PASS" if r.passed(target) else "FAIL")
        for r in results]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {4, 5, 6, 7, 9}

    def fmt(line):
        return "| " + " | ".join(cell.rjust(w) if i in right else cell.ljust(w)
                                 for i, (cell, w) in enumerate(zip(line, widths, strict=True))) + " |"
    print(fmt(header), file=out)
    print("|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|", file=out)
    for line in lines[1:]:
        print(fmt(line), file=out)


# The database -----------------------------------------------------------------------------------

def prepare_database(url: str, rebuild: bool) -> bool:
    """Create the database (PostgreSQL) or remove the file (SQLite) when rebuilding.

    Returns whether the database is new (so the data must be built).
    """
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or parsed.database == ":memory:":
            raise SystemExit("--database must be a SQLite file")
        if rebuild:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return not path.exists()
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("--database must be a SQLite or PostgreSQL URL")
    if parsed.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit("the bench only talks to a database on this machine (127.0.0.1)")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": parsed.database})
            if exists and rebuild:
                conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
                exists = False
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                return True
    finally:
        admin.dispose()
    return False


def make_app(url: str):
    """The app in its testing configuration (cheap password hashes), on the bench database."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url)})
    # One access line per request is part of the cost; keep the formatting, drop the output.
    # (The migrations' logging configuration adds a root handler: do not propagate to it.)
    logger = logging.getLogger("voisinage")
    logger.propagate = False
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))
    return app


def ensure_data(app, build: bool, seed: int, log) -> dict:
    """Migrate; build the data when asked or missing; return the counts and the campaign id."""
    from flask_migrate import upgrade

    from app.models import Campaign, Territory, User

    with app.app_context():
        started = time.perf_counter()
        upgrade()
        log(f"migrations: {time.perf_counter() - started:.1f} s")
        present = db.session.scalar(select(User.id).where(User.email == scale_data.ADMIN_EMAIL))
        if present is None and not build:
            log("the database holds no bench data: building it")
            build = True
        if build:
            if db.session.scalar(select(User.id).limit(1)) is not None:
                raise SystemExit("the database holds other data; use --fresh to rebuild it")
            started = time.perf_counter()
            built = scale_data.build(seed=seed, log=log)
            elapsed = time.perf_counter() - started
            log(f"data built in {elapsed:.1f} s (generate {built.timings['generate']:.1f} s, "
                f"insert {built.timings['insert']:.1f} s): "
                + ", ".join(f"{n} {name}" for name, n in built.counts.items()))
        if db.engine.dialect.name == "postgresql":
            started = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE" if build else "ANALYZE"))
            log(f"{'VACUUM ANALYZE' if build else 'ANALYZE'}: {time.perf_counter() - started:.1f} s")
        counts = scale_data.counts()
        counts["pairs by status"] = scale_data.live_pairs_by_status()
        pau = db.session.scalar(select(Territory.id).where(Territory.name == "Pau"))
        campaign_id = db.session.scalar(
            select(Campaign.id).where(Campaign.territory_id == pau, Campaign.closed_at.is_(None)))
        db.session.remove()
    return {"counts": counts, "campaign_id": campaign_id, "built": build}


# Measuring ---------------------------------------------------------------------------------------

ROLES = (("agent Pau", scale_data.PAU_AGENT_EMAIL), ("admin", scale_data.ADMIN_EMAIL))


class Clock:
    """The run's time budget: each page gets ``per_page`` seconds, the run ``deadline`` in all."""

    def __init__(self, deadline: float, per_page: float):
        self.start = time.perf_counter()
        self.deadline = deadline
        self.per_page = per_page

    def late(self) -> bool:
        return time.perf_counter() - self.start > self.deadline

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


MIN_SAMPLES = 5


def _measure(get, label: str, clock: Clock, requests: int, warmups: int):
    """Time ``get()`` ``requests`` times after ``warmups`` (fewer when the budget is spent)."""
    if clock.late():
        requests, warmups = 3, 1
    for _ in range(warmups):
        get()
    samples = []
    page_start = time.perf_counter()
    for _ in range(requests):
        samples.append(get())
        if len(samples) >= MIN_SAMPLES and time.perf_counter() - page_start > clock.per_page:
            break
    return samples


def measure_in_process(app, specs: list[PageSpec], clock: Clock, requests: int, warmups: int,
                       log) -> tuple[list[Result], dict[str, str]]:
    """Every page for both roles with the test client; returns the results and the deep paths."""
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):
        # SQLite's BEGIN goes through the cursor (PostgreSQL's does not): count statements only.
        if not statement.startswith("BEGIN"):
            counter["n"] += 1

    rendered: list[dict] = []

    def _rendered(sender, template, context, **extra):
        rendered.append(context)

    template_rendered.connect(_rendered, app)
    results: list[Result] = []
    deep_paths: dict[tuple[str, str], str] = {}
    try:
        for role, email in ROLES:
            client = app.test_client()
            login_page = client.get("/connexion").get_data(as_text=True)
            response = client.post("/connexion", data={
                "csrf_token": _CSRF.search(login_page).group(1), "email": email,
                "password": scale_data.PASSWORD})
            if response.status_code != 302:
                raise SystemExit(f"login of {email} failed: {response.status_code}")
            for spec in specs:
                paths = [spec.path]
                if spec.pages is not None:
                    rendered.clear()
                    check = client.get(spec.path)
                    pages = spec.pages(rendered[0]) if check.status_code == 200 else 1
                    deep = with_page(spec.path, min(DEEP_PAGE, max(pages, 1)))
                    deep_paths[role, spec.name] = deep
                    paths.append(deep)
                for path in paths:
                    result = Result(spec.name + (" (deep)" if path != spec.path else ""), path,
                                    role, "in-process")

                    def get(path=path, result=result, spec=spec, role=role, client=client):
                        rendered.clear()
                        before = counter["n"]
                        started, cpu = time.perf_counter(), time.process_time()
                        response = client.get(path)
                        elapsed = (time.perf_counter() - started) * 1000
                        result.cpu_ms.append((time.process_time() - cpu) * 1000)
                        if response.status_code != 200:
                            raise SystemExit(f"{role} {path}: HTTP {response.status_code}")
                        result.queries.append(counter["n"] - before)
                        result.rows = spec.rows(rendered[0]) if rendered else None
                        return elapsed

                    samples = _measure(get, path, clock, requests, warmups)
                    result.queries = result.queries[-len(samples):]
                    result.cpu_ms = result.cpu_ms[-len(samples):]
                    result.times_ms = samples
                    results.append(result)
                    log(f"  {role:9} {path:48} median {result.median:7.1f} ms  "
                        f"cpu {result.cpu_median:>6} ms  q {result.query_count:>5}  "
                        f"rows {result.rows}")
    finally:
        template_rendered.disconnect(_rendered, app)
        event.remove(engine, "before_cursor_execute", _count)
    return results, deep_paths


def measure_gunicorn(url: str, specs: list[PageSpec], deep_paths: dict, clock: Clock,
                     requests: int, warmups: int, log) -> list[Result]:
    """The same pages through gunicorn (2 workers, the production settings of
    ``tests.live.LiveServer``) on 127.0.0.1, as a sanity check."""
    from tests.live import LiveServer

    results: list[Result] = []
    with LiveServer(url, workers=2, threads=4) as server:
        for role, email in ROLES:
            session = server.session(email, scale_data.PASSWORD)
            for spec in specs:
                paths = [spec.path] + ([deep_paths[role, spec.name]]
                                       if (role, spec.name) in deep_paths else [])
                for path in paths:
                    result = Result(spec.name + (" (deep)" if path != spec.path else ""), path,
                                    role, "gunicorn")

                    def get(path=path, role=role, session=session):
                        started = time.perf_counter()
                        response = session.get(path)
                        elapsed = (time.perf_counter() - started) * 1000
                        if response.status_code != 200:
                            raise SystemExit(f"{role} {path}: HTTP {response.status_code}")
                        return elapsed

                    result.times_ms = _measure(get, path, clock, requests, warmups)
                    results.append(result)
                    log(f"  {role:9} {path:48} median {result.median:7.1f} ms")
    return results


# Main --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    group.add_argument("--fresh", action="store_true", help="drop and rebuild (the default)")
    parser.add_argument("--mode", choices=("inprocess", "gunicorn", "both"), default="both")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--gunicorn-requests", type=int, default=10)
    parser.add_argument("--per-page", type=float, default=4.0,
                        help="seconds of timed requests per page at most (>= 5 requests)")
    parser.add_argument("--deadline", type=float, default=270.0,
                        help="after this many seconds, remaining pages get 3 requests")
    parser.add_argument("--only", help="measure only the pages whose name matches this regex")
    parser.add_argument("--target", type=float, default=TARGET_MS)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    clock = Clock(args.deadline, args.per_page)
    url = args.database
    new = prepare_database(url, rebuild=not args.reuse)
    app = make_app(url)
    info = ensure_data(app, build=new or not args.reuse, seed=args.seed, log=log)
    log(f"data: {info['counts']}")
    specs = page_specs(info["campaign_id"])
    if args.only:
        specs = [s for s in specs if re.search(args.only, s.name)]
    results: list[Result] = []
    deep_paths: dict = {}
    if args.mode in ("inprocess", "both"):
        log(f"in process ({clock.elapsed():.0f} s so far):")
        found, deep_paths = measure_in_process(app, specs, clock, args.requests, args.warmups, log)
        results += found
    with app.app_context():
        backend = db.engine.dialect.name
        db.engine.dispose()
    if args.mode in ("gunicorn", "both"):
        if not deep_paths:
            # The deep pages are found in process (from each list's number of pages).
            quick = Clock(1e9, 0)
            _r, deep_paths = measure_in_process(app, specs, quick, 0, 1, lambda *_: None)
        log(f"gunicorn ({clock.elapsed():.0f} s so far):")
        results += measure_gunicorn(url, specs, deep_paths, clock, args.gunicorn_requests,
                                    min(args.warmups, 2), log)
    print(f"\n{backend}: {url} ({'built' if info['built'] else 'reused'}); "
          f"{', '.join(f'{k} {v}' for k, v in info['counts'].items())}")
    print(f"target: median under {args.target:g} ms; whole run {clock.elapsed():.0f} s\n")
    print_table(results, args.target)
    failed = [r for r in results if not r.passed(args.target)]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    if args.json:
        Path(args.json).write_text(json.dumps([{
            "page": r.page, "path": r.path, "role": r.role, "mode": r.mode, "n": len(r.times_ms),
            "median_ms": round(r.median, 2), "p95_ms": round(r.p95, 2),
            "cpu_median_ms": round(statistics.median(r.cpu_ms), 2) if r.cpu_ms else None,
            "queries": r.query_count, "rows": r.rows} for r in results], indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
