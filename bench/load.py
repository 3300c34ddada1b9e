"""Load figures: gunicorn serving a large database to concurrent logged-in clients, on 127.0.0.1.

Usage:
  .venv/bin/python bench/load.py [--database URL ...] [--reuse] [--seconds 10] [--workers 2,4]
                                 [--clients 10,50] [--only REGEX] [--json FILE]

  --database  SQLite file or PostgreSQL URL on this machine; give it twice for both (default:
              sqlite:////tmp/voisinage-load.db and postgresql://postgres@127.0.0.1:5432/
              bench_load). The data are built by :mod:`bench.scale_data` (20,000 residents,
              12,000 volunteers, 200,000 visits; about a minute) unless --reuse finds them.
  --seconds   how long each scenario drives the server (at most 30).
  --costs N   instead, time each page N times in process, one request at a time: the least
              time is the page's CPU cost, comparable with hello's even on a busy machine.

For each database, each number of gunicorn workers (``deploy/gunicorn.conf.py``, 4 threads a
worker) and each number of concurrent clients, the scenarios run one after the other:

- ``hello``: a route that returns a word through the whole app (sessions, access control, logs,
  security headers) but touches no table: the ceiling of this server on this machine;
- ``anonymous``: the public home page;
- one scenario per role, each client logged in (one login per role, the session cookie shared
  by its clients): the resident's home, then the resident's profile form (two scenarios, so the
  home's throughput is its own); the volunteer's home, pair and calendar;
  the Pau agent's dashboard and proposals; the administrator's overview.

Each client loops over its role's pages for the given time (the clients are threads of this
process, so the client side costs CPU on the same machine; the ceiling is measured the same way,
so the ratio is fair). The table gives, per page: requests, requests per second (of the page's
share), p50, p95 and p99 in milliseconds, errors (status >= 500 or failures), and the scenario's
throughput as a fraction of ``hello``'s. Targets (issue 7): p95 < 100 ms at 10 clients for every
page, and the resident home at no less than a quarter of the hello-world throughput.

The server runs the testing configuration (cheap password hashes, cookies without ``Secure`` so
they travel over plain HTTP), like ``tests/live.py``; the login limit per address is raised (all
clients come from 127.0.0.1). The machine is shared: say so with the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench import scale_data  # noqa: E402
from bench.agent_pages import ensure_data, make_app, prepare_database  # noqa: E402
from config import sqlalchemy_url  # noqa: E402

DEFAULT_DATABASES = ("sqlite:////tmp/voisinage-load.db",
                     "postgresql://postgres@127.0.0.1:5432/bench_load")
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
HELLO = "/bench/hello"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TARGET_P95_MS = 100.0
TARGET_RESIDENT_SHARE = 0.25


def bench_app():
    """The app as served by the bench: the testing configuration plus the hello-world route."""
    from app import create_app
    from app.security.access import public

    app = create_app({"ENV_NAME": "testing", "LOGIN_LIMIT_PER_IP": "100000 per minute",
                      "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(os.environ["BENCH_DATABASE_URL"])})

    @public
    def hello():
        return "bonjour"

    app.add_url_rule(HELLO, "bench_hello", hello)
    return app


# Who logs in, and what they read ------------------------------------------------------------

def accounts(url: str) -> dict[str, tuple[str | None, list[str]]]:
    """Each scenario's account (None: anonymous) and pages, picked in the bench data."""
    from app.extensions import db
    from app.models import Match, MatchStatus, ResidentProfile, User, VolunteerProfile

    app = make_app(url)
    with app.app_context():
        def busiest(profile, column):
            return db.session.execute(
                select(User.email, Match.id)
                .join(profile, profile.user_id == User.id)
                .join(Match, column == profile.id)
                .where(Match.status == MatchStatus.ACTIVE, User.email.is_not(None),
                       User.email.like(f"%@{scale_data.DOMAIN}"))
                .order_by(User.email).limit(1)).one()

        resident, _ = busiest(ResidentProfile, Match.resident_id)
        volunteer, pair = busiest(VolunteerProfile, Match.volunteer_id)
        db.session.remove()
    return {
        "hello": (None, [HELLO]),
        "anonymous": (None, ["/"]),
        # The home alone: the throughput target is about it.
        "resident": (resident, ["/habitant/"]),
        "resident-profile": (resident, ["/habitant/mon-profil"]),
        "volunteer": (volunteer, ["/benevole/", f"/benevole/binome/{pair}", "/benevole/agenda"]),
        "agent": (scale_data.PAU_AGENT_EMAIL, ["/agent/", "/agent/propositions"]),
        "admin": (scale_data.ADMIN_EMAIL, ["/admin/"]),
    }


# The server -------------------------------------------------------------------------------

class Server:
    """gunicorn with the production settings file, ``workers`` workers, on a free port."""

    def __init__(self, url: str, workers: int):
        from tests.live import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url, self.workers = url, workers
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-load-", suffix=".log",
                                               delete=False)

    def __enter__(self) -> Server:
        env = {**os.environ, "VOISINAGE_ENV": "testing", "BENCH_DATABASE_URL": self.url,
               "GUNICORN_ACCESSLOG": "", "GUNICORN_MAX_REQUESTS": "0"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG),
             "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "bench.load:bench_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn died, see {self.log.name}")
            try:
                if requests.get(self.base + HELLO, timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start within 60 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        Path(self.log.name).unlink(missing_ok=True)

    def login(self, email: str) -> requests.cookies.RequestsCookieJar:
        session = requests.Session()
        token = _CSRF.search(session.get(self.base + "/connexion").text).group(1)
        response = session.post(self.base + "/connexion", allow_redirects=False, data={
            "csrf_token": token, "email": email, "password": scale_data.PASSWORD})
        if response.status_code != 302:
            self.log.flush()
            tail = Path(self.log.name).read_text(errors="replace")[-3000:]
            raise SystemExit(f"login of {email} failed: {response.status_code}\n{tail}")
        return session.cookies


# Driving it -------------------------------------------------------------------------------

@dataclass
class Page:
    """The figures of one page in one scenario."""

    database: str
    workers: int
    clients: int
    scenario: str
    path: str
    seconds: float
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0
    scenario_rps: float = 0.0
    ceiling_rps: float = 0.0

    def quantile(self, q: float) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0] if self.times_ms else float("nan")
        return statistics.quantiles(self.times_ms, n=100, method="inclusive")[round(q * 100) - 1]

    @property
    def rps(self) -> float:
        return len(self.times_ms) / self.seconds

    def row(self) -> dict:
        return {"database": self.database, "workers": self.workers, "clients": self.clients,
                "scenario": self.scenario, "path": self.path, "requests": len(self.times_ms),
                "rps": round(self.rps, 1), "p50_ms": round(self.quantile(0.50), 1),
                "p95_ms": round(self.quantile(0.95), 1), "p99_ms": round(self.quantile(0.99), 1),
                "errors": self.errors, "scenario_rps": round(self.scenario_rps, 1),
                "ratio_to_hello": round(self.scenario_rps / self.ceiling_rps, 2)
                if self.ceiling_rps else None}


def drive(server: Server, cookies, paths: list[str], clients: int, seconds: float,
          label: dict) -> list[Page]:
    """``clients`` threads loop over ``paths`` for ``seconds``; one Page per path."""
    pages = {p: Page(path=p, seconds=seconds, **label) for p in paths}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(n: int) -> None:
        session = requests.Session()
        if cookies is not None:
            session.cookies.update(cookies)
        i = n
        start.wait()
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            try:
                status = session.get(server.base + path, allow_redirects=False, timeout=30).status_code
            except requests.RequestException:
                status = 599
            elapsed = (time.perf_counter() - began) * 1000
            with lock:  # a request begun before the end counts, however long it took
                pages[path].times_ms.append(elapsed)
                if status >= 500 or status in (301, 302, 403, 404):
                    pages[path].errors += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(35)
    elapsed = time.perf_counter() - began  # the last requests may end after ``seconds``
    total = sum(len(p.times_ms) for p in pages.values()) / elapsed
    for page in pages.values():
        page.seconds = elapsed
        page.scenario_rps = total
    return list(pages.values())


def run(databases: list[str], workers: list[int], clients: list[int], seconds: float,
        only: str | None, reuse: bool, log) -> list[Page]:
    results: list[Page] = []
    for url in databases:
        name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        new = prepare_database(url, rebuild=not reuse)
        ensure_data(make_app(url), build=new, seed=2026, log=log)
        scenarios = accounts(url)
        if only:
            scenarios = {k: v for k, v in scenarios.items() if k == "hello" or re.search(only, k)}
        for n_workers in workers:
            with Server(url, n_workers) as server:
                jars = {k: server.login(email) if email else None
                        for k, (email, _) in scenarios.items()}
                for n_clients in clients:
                    label = {"database": name, "workers": n_workers, "clients": n_clients}
                    drive(server, None, [HELLO], n_clients, min(2.0, seconds),
                          {**label, "scenario": "warm-up"})
                    ceiling = 0.0
                    for scenario, (_, paths) in scenarios.items():
                        pages = drive(server, jars[scenario], paths, n_clients, seconds,
                                      {**label, "scenario": scenario})
                        if scenario == "hello":
                            ceiling = pages[0].scenario_rps
                        for page in pages:
                            page.ceiling_rps = ceiling
                            log(_line(page.row()))
                        results += pages
    return results


def costs(url: str, scenarios: dict, repeat: int, log) -> list[dict]:
    """Each page in process, alone: the least and median time of ``repeat`` requests, and SQL
    statements per request. The least time is what the page costs in CPU when nothing else runs,
    so the ratio to hello's holds on a busy machine, where throughput figures do not."""
    from sqlalchemy import event

    from app.extensions import db

    os.environ["BENCH_DATABASE_URL"] = url
    app = bench_app()
    logging.getLogger("voisinage").handlers.clear()
    logging.getLogger("voisinage").propagate = False
    with app.app_context():
        engine = db.engine
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            statements[0] += 1

    rows, hello = [], None
    for scenario, (email, paths) in scenarios.items():
        client = app.test_client()
        if email:
            token = _CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
            client.post("/connexion", data={"csrf_token": token, "email": email,
                                            "password": scale_data.PASSWORD})
        for path in paths:
            client.get(path)
            times, statements[0] = [], 0
            for _ in range(repeat):
                began = time.perf_counter()
                status = client.get(path).status_code
                times.append((time.perf_counter() - began) * 1000)
            least = min(times)
            hello = least if scenario == "hello" else hello
            row = {"scenario": scenario, "path": path, "status": status,
                   "least_ms": round(least, 2), "median_ms": round(statistics.median(times), 2),
                   "statements": statements[0] // repeat,
                   "cost_vs_hello": round(least / hello, 1) if hello else None}
            log(" ".join(f"{k}={v}" for k, v in row.items()))
            rows.append(row)
    return rows


COLUMNS = ("database", "workers", "clients", "scenario", "path", "requests", "rps", "p50_ms",
           "p95_ms", "p99_ms", "errors", "ratio_to_hello")


def _line(row: dict) -> str:
    return " ".join(f"{k}={row[k]}" for k in COLUMNS)


def print_table(results: list[Page], out=sys.stdout) -> None:
    rows = [[str(r.row()[c]) for c in COLUMNS] for r in results]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |",
          file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |",
              file=out)


def verdicts(results: list[Page]) -> list[str]:
    """The issue's targets, checked on the figures."""
    lines = []
    for page in results:
        row = page.row()
        if page.clients == 10 and page.scenario != "hello" and row["p95_ms"] >= TARGET_P95_MS:
            lines.append(f"MISS p95 {row['p95_ms']} ms >= {TARGET_P95_MS:g}: {page.database} "
                         f"{page.workers} workers, {page.path}")
        if page.scenario == "resident" and page.path == "/habitant/" and \
                (row["ratio_to_hello"] or 0) < TARGET_RESIDENT_SHARE:
            lines.append(f"MISS resident throughput {row['ratio_to_hello']} of hello: "
                         f"{page.database} {page.workers} workers {page.clients} clients")
        if page.errors:
            lines.append(f"ERRORS {page.errors} on {page.path} ({page.database} {page.workers} "
                         f"workers {page.clients} clients)")
    return lines or ["every target met"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="a SQLite file or PostgreSQL URL")
    parser.add_argument("--reuse", action="store_true", help="keep existing bench data")
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario (<= 30)")
    parser.add_argument("--workers", default="2,4", help="comma-separated worker counts")
    parser.add_argument("--clients", default="10,50", help="comma-separated client counts")
    parser.add_argument("--only", help="run only the scenarios matching this (hello always)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--costs", type=int, metavar="N", default=0,
                        help="instead: time each page N times in process, alone (CPU cost)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 30:
        parser.error("--seconds must be more than 0 and at most 30")
    for url in args.database or []:
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            parser.error(f"--database {url}: a SQLite file or a PostgreSQL URL")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        "(shared with other work: figures are indicative)")
    if args.costs:
        for url in args.database or list(DEFAULT_DATABASES):
            ensure_data(make_app(url), build=prepare_database(url, rebuild=False), seed=2026,
                        log=log)
            log(f"in process, {args.costs} requests a page: {url}")
            costs(url, accounts(url), args.costs, print)
        return
    results = run(args.database or list(DEFAULT_DATABASES),
                  [int(w) for w in args.workers.split(",")],
                  [int(c) for c in args.clients.split(",")], args.seconds, args.only,
                  args.reuse, log)
    print_table(results)
    for line in verdicts(results):
        print(line)
    log(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps([r.row() for r in results], indent=1))


if __name__ == "__main__":
    main()
