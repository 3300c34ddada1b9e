"""Migrations: an empty database upgrades to the models exactly, and downgrades to nothing.

Runs on a fresh SQLite file, and on PostgreSQL when ``TEST_DATABASE_URL`` is set, in a database
of its own (the worker's test database is shared by the other tests).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, delete, inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from app.models import AuditEntry
from config import BASE_DIR, sqlalchemy_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """The URL of a database with nothing in it, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = make_url(sqlalchemy_url(POSTGRES_URL))
    name = f"{base.database}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated(empty_database):
    """An app on the empty database, upgraded to head; the engine is closed afterwards."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_one_head():
    """Two engineers adding migrations at once must merge them, not leave two heads."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_gives_the_models_and_downgrade_removes_everything(migrated):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "the migrations and the models differ; run flask db migrate"

    downgrade(revision="base")
    db.session.remove()
    inspector = inspect(db.engine)
    assert set(inspector.get_table_names()) <= {"alembic_version"}
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            leftovers = conn.execute(text(
                "SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace "
                "WHERE nspname = 'public'")).scalars().all()
            types = conn.execute(text(
                "SELECT typname FROM pg_type JOIN pg_namespace n ON n.oid = typnamespace "
                "WHERE nspname = 'public' AND typtype = 'e'")).scalars().all()
            assert (leftovers, types) == ([], [])
        else:
            triggers = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index', 'view') "
                "AND name NOT LIKE 'sqlite_%'")).scalars().all()
            assert triggers == []


def test_upgrade_again_after_downgrade(migrated):
    """Down then up again works: the downgrade leaves no trace that breaks the upgrade."""
    downgrade(revision="base")
    upgrade()
    assert "audit_entries" in inspect(db.engine).get_table_names()


def test_audit_log_is_append_only(migrated):
    table = AuditEntry.__table__
    with db.engine.begin() as conn:
        conn.execute(table.insert().values(
            at=datetime.now(timezone.utc), actor_role="system", action="test.append",
            object_type="test", object_id="1", detail={}))
    for statement in (update(table).values(action="test.changed"), delete(table)):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(statement)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_entries")).scalars().all() == \
            ["test.append"]
