"""``flask seed-demo``: deterministic demo data for the Pau agglomeration (:mod:`app.services.demo`)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.services import demo


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo data into an empty database (else change nothing); list the demo accounts."""
    started = time.perf_counter()
    loaded = demo.load_demo()
    if loaded is None:
        db.session.rollback()
        click.echo("The database already holds people: demo data not loaded, nothing changed.")
    else:
        db.session.commit()
        summary = ", ".join(f"{n} {what}" for what, n in loaded.items())
        click.echo(f"Demo data loaded in {time.perf_counter() - started:.1f} s: {summary}.")
    click.echo(accounts_table(demo.present_accounts()))


def accounts_table(accounts: list[demo.DemoAccount]) -> str:
    """The demo accounts as a small aligned table, or one line saying there is none."""
    if not accounts:
        return "No demo account in this database."
    rows = [("role", "e-mail", "password")]
    rows += [(a.role, a.email, demo.DEMO_PASSWORD) for a in accounts]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows]
    lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(demo.DEMO_PASSWORD)}")
    lines.append(f"Every other demo person with an e-mail at @{demo.DOMAIN} has the same password.")
    return "\n".join(lines)
