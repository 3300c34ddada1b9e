"""Command-line tools (``flask …``): demo data, accounts, reference data imports, matching, outbox, follow-up."""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    """Register every command group."""
    from app.commands import (
        backup,
        followup,
        matching,
        outbox,
        places,
        retention,
        scheduled,
        seed,
        users,
    )

    app.cli.add_command(seed.seed_demo)
    app.cli.add_command(users.create_user)
    app.cli.add_command(places.import_neighbourhoods)
    app.cli.add_command(places.import_communes)
    app.cli.add_command(matching.match_cli)
    app.cli.add_command(outbox.outbox_cli)
    app.cli.add_command(followup.concerns_cli)
    app.cli.add_command(backup.backup_cli)
    app.cli.add_command(scheduled.attention_cli)
    app.cli.add_command(scheduled.vetting_cli)
    app.cli.add_command(retention.retention_cli)
