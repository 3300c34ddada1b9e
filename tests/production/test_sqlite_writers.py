"""SQLite under 20 concurrent writers for 10 s: no "database is locked", no lost write.

Each writer runs read-then-write transactions, the pattern that fails in a DEFERRED transaction
(the read's snapshot cannot become a write once another writer has committed). The app begins
write requests with BEGIN IMMEDIATE and waits up to its busy timeout, so all of them go through.
A control run shows the test can fail: the same load in read requests (plain BEGIN) does fail.
SQLite only; about 14 s.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app import create_app
from app.database import SQLITE_BUSY_TIMEOUT_MS
from app.extensions import db
from app.models import UserSession, utcnow
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's locking; PostgreSQL has MVCC "
                                "row locks, tested by tests/test_concurrency.py")

WRITERS = 20


def _hammer(app, user_id: uuid.UUID, seconds: float, method: str) -> tuple[int, list[str]]:
    """``WRITERS`` threads doing read-then-write transactions; (commits, errors)."""
    commits, errors, lock = [0], [], threading.Lock()
    barrier = threading.Barrier(WRITERS)

    def writer() -> None:
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with app.test_request_context("/", method=method):
                try:
                    seen = db.session.scalar(select(func.count()).select_from(UserSession)
                                             .where(UserSession.user_id == user_id))
                    now = utcnow()  # the write depends on the read, as in a service
                    db.session.add(UserSession(id=f"{seen:08d}{secrets.token_hex(28)}",
                                               user_id=user_id, created_at=now, last_seen_at=now))
                    db.session.commit()
                    with lock:
                        commits[0] += 1
                except OperationalError as exc:
                    db.session.rollback()
                    with lock:
                        errors.append(str(exc.orig))
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + SQLITE_BUSY_TIMEOUT_MS / 1000 + 30)
    return commits[0], errors


@pytest.fixture
def writers_app(database_url, resident):
    """The app on the test's file, with a connection for every writer."""
    user_id = resident[0].id
    db.session.commit()
    db.session.close()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": WRITERS, "max_overflow": 0}})
    with app.app_context():
        yield app, user_id
        db.engine.dispose()


def test_twenty_writers_for_ten_seconds_never_see_database_is_locked(writers_app):
    app, user_id = writers_app
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(UserSession))
        db.session.remove()
    commits, errors = _hammer(app, user_id, 10, "POST")
    assert errors == [], f"{len(errors)} failures, first: {errors[0]}"
    assert commits > WRITERS, commits
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == before + commits
        mode = db.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
        timeout = db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        keys = db.session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar()
        mapped = db.session.connection().exec_driver_sql("PRAGMA mmap_size").scalar()
        db.session.remove()
    assert (mode, keys) == ("wal", 1) and timeout >= 5000 and mapped > 0


def test_control_the_same_load_in_deferred_transactions_does_fail(writers_app):
    app, user_id = writers_app
    _, errors = _hammer(app, user_id, 2, "GET")  # GET: the app begins a plain, deferred BEGIN
    assert any("locked" in e or "busy" in e for e in errors), "the load is not contended enough"
