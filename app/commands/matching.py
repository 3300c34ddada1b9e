"""``flask match run``: run the matching, for a schedule (cron, systemd timer) or by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.commands.common import fail
from app.extensions import db
from app.models import Territory
from app.services.matching import run_matching

match_cli = AppGroup("match", help="The matching of residents and volunteers.")


@match_cli.command("run")
@click.option("--territory", help="Name of one territory (default: every territory, each on its own).")
def run(territory: str | None) -> None:
    """Propose pairs for residents waiting, territory by territory; agents then review them."""
    if territory is None:
        targets = list(db.session.scalars(select(Territory).order_by(Territory.name)))
    else:
        found = db.session.scalar(select(Territory).where(Territory.name == territory))
        if found is None:
            fail(f"--territory: no territory named {territory!r}")
        targets = [found]
    for target in targets:
        result = run_matching(target)
        db.session.commit()
        click.echo(f"{target.name}: {result.matched} pair(s) proposed; "
                   f"{result.residents_considered} resident(s) waiting, "
                   f"{result.volunteers_considered} volunteer(s) available.")
