"""``flask seed-demo``: deterministic demo data for the Pau agglomeration (filled in below)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo data when the database is empty; do nothing otherwise."""
    click.echo("seed-demo is not written yet.")
