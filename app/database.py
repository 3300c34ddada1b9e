"""Engine settings per database: SQLite gets WAL, foreign keys, a busy timeout and real BEGINs."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event

from app.extensions import db

#: Milliseconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Page cache of each connection (KiB), and how much of the file is memory-mapped (bytes).
SQLITE_CACHE_KIB = 16 * 1024
SQLITE_MMAP_BYTES = 512 * 1024 * 1024
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engine(app: Flask) -> None:
    """Install the SQLite connection hooks; PostgreSQL needs nothing here."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Each pooled connection keeps its own page cache: the default 2 MB re-reads the
            # same pages of a large database on every request. Map the file (pages shared by
            # every connection and worker through the OS) and keep a 16 MB cache of its own.
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
            cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that may write takes the write lock up front: a read followed by a write
        # in a DEFERRED transaction would fail with "database is locked" instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    return not has_request_context() or request.method not in _READ_METHODS
