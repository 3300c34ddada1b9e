"""``flask attention digest`` and ``flask vetting expiry``: daily messages of the scheduled work.

Both are safe to run twice, or on two hosts at once: each message is queued once (its
``dedup_key``), and the outbox worker (``flask outbox send``) delivers it. See docs/operations.md.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services.digests import queue_attention_digests, queue_vetting_expiry_notices

attention_cli = AppGroup("attention", help="The attention queue: tell agents about it.")
vetting_cli = AppGroup("vetting", help="Vetting: tell volunteers when a step must be renewed.")


@attention_cli.command("digest")
def attention_digest() -> None:
    """Tell each territory's agents, once a day, how many pairs need attention."""
    queued = queue_attention_digests()
    db.session.commit()
    click.echo(f"attention: {queued} digest(s) queued.")


@vetting_cli.command("expiry")
def vetting_expiry() -> None:
    """Tell approved volunteers whose step expires within 30 days, or has expired (once a step)."""
    queued = queue_vetting_expiry_notices()
    db.session.commit()
    click.echo(f"vetting: {queued} expiry notice(s) queued.")
