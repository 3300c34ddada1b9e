"""Migrations revision by revision, with data: the demo data survive every step down and up.

The demo data are loaded at head; then the database goes down one revision at a time to the
first and back up one at a time to head. After each step every table that exists on both sides
of the step holds as many rows as before it (a table a step creates or drops aside), and at the
end a demo account logs in. Complements tests/test_migrations.py (empty database, models equal
to head). SQLite, and PostgreSQL when the run is on it; about 10 s a database.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from config import BASE_DIR
from tests import factories
from tests.test_migrations import empty_database  # noqa: F401  (a fixture)

DEMO_PASSWORD = "voisinage-demo-2026"


def _revisions() -> list[str]:
    """Every revision, first to head."""
    script = ScriptDirectory(str(BASE_DIR / "migrations"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        return {n: connection.scalar(text(f'SELECT count(*) FROM "{n}"')) for n in names}


def _kept(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Tables on both sides whose row count changed."""
    return {n: (before[n], after[n]) for n in before.keys() & after.keys() if before[n] != after[n]}


def test_demo_data_survive_every_migration_step_down_and_up(empty_database):  # noqa: F811
    revisions = _revisions()
    assert len(revisions) >= 2
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        seeded = _counts()
        assert seeded["users"] > 50 and seeded["visits"] > 0

        for target in reversed(revisions[:-1]):
            before = _counts()
            downgrade(revision=target)
            assert _kept(before, _counts()) == {}, f"down to {target}"
        for target in revisions[1:]:
            before = _counts()
            upgrade(revision=target)
            assert _kept(before, _counts()) == {}, f"up to {target}"
        db.engine.dispose()

        after = _counts()
        lost = {n: (seeded[n], after[n]) for n in seeded if after.get(n) != seeded[n]}
        # Tables a later revision creates come back empty; every other table is whole.
        created_later = {n for n, (was, now) in lost.items() if now == 0}
        assert set(lost) == created_later, lost

        client = factories.LoggingClient.wrap(app.test_client())
        client.login(type("Demo", (), {"email": "habitant@demo.voisinage.fr"}), DEMO_PASSWORD)
        assert client.get("/habitant/").status_code == 200
        db.session.remove()
        db.engine.dispose()
