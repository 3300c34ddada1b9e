"""Fixtures: an app on an isolated, migrated database per test; clients; people of every role.

The database is SQLite unless ``TEST_DATABASE_URL`` names a PostgreSQL server. SQLite: the
migrations run once into a template file, copied for each test. PostgreSQL: the migrations run
once per worker database, and every table is truncated after each test.
"""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import sqlalchemy_url
from tests import factories

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database: a SQLite file to copy, or a PostgreSQL database to truncate."""
    if POSTGRES_URL:
        base = make_url(sqlalchemy_url(POSTGRES_URL))
        # One database per worker and per run, so engineers running the suite at once never collide.
        name = f"{base.database}_{_worker()}_{os.getpid()}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("db") / "template.db"
    _migrate(f"sqlite:///{path}")
    yield str(path)


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    """A fresh database for one test."""
    if POSTGRES_URL:
        return database_template
    copy = tmp_path / "test.db"
    shutil.copyfile(database_template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def app(database_url):
    """The app on its own database, with an app context pushed for the test's own queries."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SERVER_NAME": "voisinage.test"})
    with app.app_context():
        yield app
        db.session.remove()
        if POSTGRES_URL:
            _truncate_all()
        db.engine.dispose()


def _truncate_all() -> None:
    # DELETE is much faster than TRUNCATE on small tables. Replica mode lets the test owner skip
    # the triggers: foreign keys (so the order does not matter) and the audit log's guard.
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in db.metadata.sorted_tables:
            conn.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture
def client(app):
    """A test client; ``client.login(user, password)`` logs in through the real form."""
    return factories.LoggingClient.wrap(app.test_client())


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def place(app):
    """Two territories, each with a commune and a neighbourhood."""
    return factories.make_places()


@pytest.fixture
def resident(place):
    """(user, password) of a resident of territory A with an open request."""
    return factories.make_resident(place.nb_a)


@pytest.fixture
def volunteer(place):
    """(user, password) of an approved volunteer of territory A."""
    return factories.make_volunteer(place.nb_a, approved=True)


@pytest.fixture
def applicant(place):
    """(user, password) of a volunteer who applied and is not approved yet."""
    return factories.make_volunteer(place.nb_a, approved=False)


@pytest.fixture
def agent(place):
    """(user, password) of an agent of territory A."""
    return factories.make_staff("agent", place.territory_a)


@pytest.fixture
def other_agent(place):
    """(user, password) of an agent of territory B."""
    return factories.make_staff("agent", place.territory_b)


@pytest.fixture
def admin(place):
    """(user, password) of an administrator."""
    return factories.make_staff("admin", None)


def pytest_report_header(config):
    """Say which database the suite runs on."""
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (file per test)'}"


