"""``flask import-communes`` and ``flask import-neighbourhoods``: all-or-nothing CSV imports."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.commands.common import fail, read_text_file
from app.extensions import db
from app.services import audit
from app.services.places import (
    MAX_REPORTED,
    InvalidFile,
    parse_communes,
    parse_neighbourhoods,
    save_communes,
    save_neighbourhoods,
)


@click.command("import-communes")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--no-neighbourhood", is_flag=True, help="Do not create a neighbourhood at each commune's point.")
@with_appcontext
def import_communes(path: Path, no_neighbourhood: bool) -> None:
    """Import communes from PATH (insee_code,name,postcodes,population,latitude,longitude)."""
    try:
        rows = parse_communes(read_text_file(path))
    except InvalidFile as exc:
        _fail_import(path, exc)
    save_communes(rows, with_neighbourhood=not no_neighbourhood)
    audit.record("communes.import", "file", path.name, rows=len(rows))
    db.session.commit()
    click.echo(f"{len(rows)} communes imported from {path}.")


@click.command("import-neighbourhoods")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def import_neighbourhoods(path: Path) -> None:
    """Import neighbourhoods from PATH (commune_insee,name,latitude,longitude); all or nothing."""
    try:
        rows = parse_neighbourhoods(read_text_file(path))
    except InvalidFile as exc:
        _fail_import(path, exc)
    created, updated = save_neighbourhoods(rows)
    audit.record("neighbourhoods.import", "file", path.name, created=created, updated=updated)
    db.session.commit()
    click.echo(f"{created} neighbourhoods created, {updated} updated, from {path}.")


def _fail_import(path: Path, exc: InvalidFile) -> None:
    others = len(exc.errors) - 1
    # The parser stops listing at MAX_REPORTED problems: past that, there may be more.
    more = ("" if not others else f" (and {others} more)" if len(exc.errors) < MAX_REPORTED
            else f" (and at least {others} more)")
    fail(f"{path}: {exc.errors[0]}{more}")
