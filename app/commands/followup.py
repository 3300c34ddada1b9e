"""``flask concerns escalate``: flag overdue concerns once and tell who must act on them.

Run it every hour from cron or a systemd timer; running it twice, or on two hosts at once,
escalates and notifies each overdue concern only once.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.concern_handling import escalate_overdue

concerns_cli = AppGroup("concerns", help="Concerns: escalate the overdue ones.")


@concerns_cli.command("escalate")
def escalate() -> None:
    """Flag open or in-progress concerns past their due date; notify the owner or the agents."""
    escalated = escalate_overdue()
    db.session.commit()
    click.echo(f"concerns: {len(escalated)} overdue concern(s) escalated.")
