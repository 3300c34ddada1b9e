"""``flask backup create PATH`` and ``flask backup restore PATH``, while the service runs.

SQLite: the online backup API copies a consistent snapshot page by page while writers go on
(WAL: they are never blocked), then the copy's integrity is checked. PostgreSQL: ``pg_dump -Fc``
(a consistent snapshot too), restored by ``pg_restore`` in one transaction. A restore only goes
into an empty database (no table at all): it never merges into, or overwrites, live data.
The procedure is in docs/operations.md.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from app.commands.common import fail
from app.extensions import db

backup_cli = AppGroup("backup", help="Back up the database, or restore a backup into an empty one.")

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create(path: Path) -> None:
    """Write a consistent backup of the database to PATH (refuses to overwrite a file)."""
    if path.exists():
        fail(f"{path}: already exists; choose a new file name")
    if not path.parent.is_dir():
        fail(f"{path.parent}: no such folder")
    url = db.engine.url
    partial = path.with_name(path.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _run([_tool("pg_dump", url), "--format=custom", "--no-owner", "--no-privileges",
                  "--file", str(partial), "--dbname", _libpq_url(url)], url)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"backup: {path} written ({path.stat().st_size} bytes).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore(path: Path) -> None:
    """Restore the backup PATH into the configured database, which must be empty."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
    url = db.engine.url
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and not head.startswith(SQLITE_MAGIC):
        fail(f"{path}: not a SQLite backup (this database is SQLite)")
    if not sqlite and not head.startswith(PG_MAGIC):
        fail(f"{path}: not a pg_dump custom-format backup (this database is PostgreSQL)")
    tables = inspect(db.engine).get_table_names()
    db.engine.dispose()
    if tables:
        fail(f"the database is not empty ({len(tables)} tables); restore into a new, empty one")
    if sqlite:
        _sqlite_restore(path, _sqlite_path(url))
    else:
        _run([_tool("pg_restore", url), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", "--dbname", _libpq_url(url), str(path)], url)
    click.echo(f"backup: {path} restored.")


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        fail("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy ``source`` with SQLite's online backup API, then check the copy."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)  # small steps: writers get the lock in between
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    if result != "ok":
        fail(f"the copy failed its integrity check: {result}")


def _sqlite_restore(backup: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail(f"{backup}: fails SQLite's integrity check")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")
    finally:
        dst.close()
        src.close()


def _libpq_url(url: URL) -> str:
    """The URL as libpq reads it, without the password (given in PGPASSWORD instead)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _tool(name: str, url: URL) -> str:
    """``pg_dump`` or ``pg_restore`` found on PATH, no older than the server (else it refuses)."""
    tool = shutil.which(name)
    if tool is None:
        fail(f"{name} not found; install the PostgreSQL client of the server's version")
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    client = int(found.group(1)) if found else 0
    with db.engine.connect() as connection:
        server = connection.dialect.server_version_info[0]
    db.engine.dispose()
    if client < server:
        fail(f"{name} {client} is older than the PostgreSQL {server} server; install version {server}")
    return tool


def _run(command: list[str], url: URL) -> None:
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        fail(f"{Path(command[0]).name} failed: {lines[0] if lines else result.returncode}")
