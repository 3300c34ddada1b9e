"""A real server for tests that need real concurrency or a real browser: gunicorn on 127.0.0.1.

The server runs the testing configuration against the test's own database, in other processes,
so requests really happen at the same time and really commit.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: The production gunicorn settings; tests serve the app the same way (workers and port aside).
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


class LiveServer:
    """``with LiveServer(database_url, workers=2) as server:`` serves the app on ``server.url``.

    ``overrides`` are configuration values given to ``create_app`` (literals only: gunicorn
    parses the call), e.g. ``{"RATELIMIT_STORAGE_URI": "redis://…"}``. ``log`` is the path of
    the server's stderr (gunicorn's error log and the app's log lines), read with
    :meth:`log_text` while the server runs; it is deleted on exit.
    """

    def __init__(self, database_url: str, workers: int = 2, threads: int = 4,
                 overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None):
        self.database_url = database_url
        self.workers = workers
        self.threads = threads
        self.overrides = {"ENV_NAME": "testing", **(overrides or {})}
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="voisinage-live-", suffix=".log")[1])

    def __enter__(self) -> LiveServer:
        self.start()
        self.wait_ready()
        return self

    def start(self) -> None:
        """Launch gunicorn without waiting (see :func:`serving` to start several at once)."""
        env = {**os.environ, "VOISINAGE_ENV": "testing", "TEST_DATABASE_URL": self.database_url,
               "GUNICORN_ACCESSLOG": "", **self.env}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG),
                 "--workers", str(self.workers), "--threads", str(self.threads),
                 "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                 "--graceful-timeout", "3",
                 f"app:create_app({self.overrides!r})"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
            )

    def wait_ready(self, seconds: float = 60) -> None:
        """Wait until the server answers (a shared 2-core machine may take a while)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server died: {self.log_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start within {seconds:.0f} s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.unlink(missing_ok=True)

    def log_text(self) -> str:
        """What the server wrote on stderr so far."""
        return self.log.read_text(errors="replace")

    def session(self, email: str | None = None, password: str | None = None) -> Browserless:
        """A cookie-keeping HTTP session, logged in when credentials are given."""
        client = Browserless(self.url)
        if email:
            client.login(email, password)
        return client


@contextmanager
def serving(*servers: LiveServer) -> Iterator[tuple[LiveServer, ...]]:
    """Start several servers at once (their start-ups overlap), stop them all at the end."""
    started: list[LiveServer] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in started:
            server.process.terminate()  # all at once, then wait for each
        for server in started:
            server.__exit__(None, None, None)


class Browserless(requests.Session):
    """An HTTP session that posts forms like a browser: it reads the page's CSRF token first."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        """Relative URLs are on the live server; redirects are not followed unless asked."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.base + url if url.startswith("/") else url, *args, **kwargs)

    def token(self, page: str) -> str:
        """The CSRF token of a page's first form."""
        match = _CSRF.search(self.get(page).text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def login(self, email: str, password: str) -> None:
        """Log in through the real form."""
        response = self.post("/connexion", data={"csrf_token": self.token("/connexion"),
                                                 "email": email, "password": password})
        assert response.status_code == 302, response.status_code
