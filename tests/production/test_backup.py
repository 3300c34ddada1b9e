"""``flask backup create`` during a write loop, then ``flask backup restore`` into an empty database.

The restored copy passes its integrity check, holds the same rows as the source at one instant
(the loop's table: between the counts before and after), and a seeded account logs in on it.
SQLite (online backup API) or PostgreSQL (pg_dump/pg_restore), as the run. About 5 s.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from app.models import UserSession, utcnow
from tests import factories
from tests.conftest import POSTGRES_URL


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"'))
                for name in inspect(connection).get_table_names()}


@contextmanager
def write_loop(url: str, user_id: uuid.UUID) -> Iterator[list[int]]:
    """Insert a session row and commit, again and again, from another connection."""
    engine = create_engine(url)
    written, stop = [0], threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with Session(engine) as session:
                now = utcnow()
                session.add(UserSession(id=secrets.token_hex(32), user_id=user_id,
                                        created_at=now, last_seen_at=now))
                session.commit()
            written[0] += 1

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        while written[0] < 20:  # the loop is really writing when the backup starts
            time.sleep(0.01)
        yield written
    finally:
        stop.set()
        thread.join(30)
        engine.dispose()


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new database with no table at all."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = make_url(db.engine.url)
    name = f"{base.database}_restore"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_backup_made_during_writes_restores_whole_and_lets_people_log_in(
        app, database_url, runner, resident, agent, tmp_path):
    user, password = resident
    user_id, email = user.id, user.email
    db.session.commit()
    db.session.close()
    before = _counts(db.engine)
    backup = tmp_path / "voisinage.backup"

    with write_loop(database_url, user_id) as written:
        result = runner.invoke(args=["backup", "create", str(backup)])
        during = written[0]
    assert result.exit_code == 0, result.output
    assert during > 20 and backup.stat().st_size > 0
    after = _counts(db.engine)
    assert after["user_sessions"] > before["user_sessions"]

    with empty_database(tmp_path) as url:
        restored = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with restored.app_context():
            result = restored.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
            assert result.exit_code == 0, result.output
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as connection:
                    assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                    assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            counts = _counts(db.engine)
            sessions = counts.pop("user_sessions")
            assert before["user_sessions"] < sessions <= after["user_sessions"]
            assert counts == {k: v for k, v in after.items() if k != "user_sessions"}
            assert db.session.scalar(select(func.count()).select_from(UserSession)) == sessions

            client = factories.LoggingClient.wrap(restored.test_client())
            client.login(type("Seeded", (), {"email": email}), password)
            assert client.get("/habitant/").status_code == 200
            db.session.remove()
            db.engine.dispose()


def test_a_restore_refuses_a_database_that_is_not_empty(runner, tmp_path, app):
    backup = tmp_path / "first.backup"
    assert runner.invoke(args=["backup", "create", str(backup)]).exit_code == 0
    result = runner.invoke(args=["backup", "restore", str(backup)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: the database is not empty")
    assert len(result.output.strip().splitlines()) == 1


def test_backup_refuses_to_overwrite_and_restore_refuses_a_foreign_file(runner, tmp_path, app):
    existing = tmp_path / "there.backup"
    existing.write_text("keep me")
    result = runner.invoke(args=["backup", "create", str(existing)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert existing.read_text() == "keep me"
    result = runner.invoke(args=["backup", "restore", str(existing)])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "missing.backup")])
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's own check of the copied file")
def test_the_sqlite_backup_is_one_self_contained_file(runner, tmp_path, app):
    backup = tmp_path / "one.backup"
    assert runner.invoke(args=["backup", "create", str(backup)]).exit_code == 0
    assert not (tmp_path / "one.backup-wal").exists()
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
