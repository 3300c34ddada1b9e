"""``flask retention apply [--dry-run]``: anonymise closed records and purge old logs.

Run it once a day from cron (see :mod:`app.privacy.retention` for what it touches); two runs
at once are safe.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.privacy import retention

retention_cli = AppGroup("retention", help="RGPD retention: anonymise closed records, purge old logs.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised or purged; change nothing.")
def apply(dry_run: bool) -> None:
    """Anonymise records closed longer ago than the retention setting; purge logs over 12 months."""
    report = retention.apply(dry_run=dry_run)
    click.echo(f"retention{' (dry run)' if dry_run else ''}: {report.line()}.")
