"""Browser fixtures: Debian's Chromium driven by Playwright, the demo data served by gunicorn.

One browser per test process (session), one demo site per test module: the demo data
(``flask seed-demo``) on the module's own database, served by :class:`tests.live.LiveServer`.
Without Chromium the browser tests are skipped with a message; in CI (env ``CI`` set) they fail.
Every request any page of the module makes is recorded on the site, to prove that nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db
from app.services import demo
from tests.browser.site import Site, seed_objects
from tests.conftest import POSTGRES_URL, _truncate_all
from tests.live import LiveServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Headless, and nothing that phones home: no QUIC, no background updates, sync or first run.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(reason: str) -> None:
    message = (f"browser tests need Debian's Chromium ({reason}): "
               "apt-get install chromium chromium-driver")
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole test process (Playwright gives it a new empty profile)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(browser, database_template, tmp_path_factory) -> Iterator[Site]:
    """The demo data on a database of this module, served on 127.0.0.1 by gunicorn."""
    if POSTGRES_URL:
        url = database_template  # this worker's database; emptied again below
    else:
        copy = tmp_path_factory.mktemp("browser") / "site.db"
        shutil.copyfile(database_template, copy)
        url = f"sqlite:///{copy}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "SERVER_NAME": "voisinage.test"})
    with app.app_context():
        assert demo.load_demo() is not None, "the browser tests need an empty database"
        objects = seed_objects()
        db.session.commit()
        db.session.close()  # the server writes too: hold no lock (see tests/test_concurrency.py)
        try:
            with LiveServer(url, workers=2, threads=4) as server:
                site = Site(server, browser, objects, app)
                yield site
                site.close()
        finally:
            db.session.remove()
            if POSTGRES_URL:
                _truncate_all()
            db.engine.dispose()


@pytest.fixture
def offsite(site) -> Iterator[None]:
    """Fails the test when any page it drove asked for anything but 127.0.0.1."""
    start = len(site.requests)
    yield
    made = [u for u in site.requests[start:] if not u.startswith("data:")]
    assert made, "no request was recorded: the recorder is not listening"
    hosts = {urlsplit(u).hostname for u in made}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests leave a few screenshots for people to look at."""
    path = Path(os.environ.get("BROWSER_SCREENSHOTS", "/tmp/voisinage-screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
