"""``flask outbox send | remind | status``: deliver notifications, queue reminders, watch the queue.

Run ``flask outbox send --loop`` as a service (systemd, one or more hosts: claims are exclusive),
or ``flask outbox send`` every minute from cron; run ``flask outbox remind`` once or twice a day.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.commands.common import fail
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, utcnow
from app.notifications import worker
from app.notifications.senders import sms_sender
from app.services.reminders import queue_visit_reminders
from config import ConfigurationError

outbox_cli = AppGroup("outbox", help="Notifications: send the outbox, queue visit reminders.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (SIGTERM or Ctrl-C).")
@click.option("--interval", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds to wait between rounds with --loop.")
@click.option("--max-batches", type=click.IntRange(min=1), default=None,
              help="With --loop, stop after this many rounds.")
@click.option("--batch-size", type=click.IntRange(min=1, max=1000), default=worker.BATCH_SIZE,
              show_default=True, help="Messages listed per query.")
def send(loop: bool, interval: float, max_batches: int | None, batch_size: int) -> None:
    """Send the messages that are due, then exit (or go on with --loop)."""
    if max_batches is not None and not loop:
        fail("--max-batches only applies with --loop")
    try:
        sms_sender()  # a misconfigured SMS_SENDER fails now, in one line, not at the first SMS
    except ConfigurationError as exc:
        fail(str(exc))
    with worker.stop_on_signals() as stop:
        if loop:
            tally = worker.run_loop(interval=interval, stop=stop, max_batches=max_batches,
                                    batch_size=batch_size)
        else:
            tally = worker.send_due(batch_size=batch_size, should_stop=stop.is_set)
    click.echo(f"outbox: {tally}.")


@outbox_cli.command("remind")
def remind() -> None:
    """Queue a reminder for every visit starting tomorrow (Paris time); safe to run again."""
    queued = queue_visit_reminders()
    db.session.commit()
    click.echo(f"outbox: {queued} visit reminder(s) queued.")


@outbox_cli.command("status")
def status() -> None:
    """Count messages by state, and say how late the oldest due message is."""
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    oldest = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == OutboxStatus.PENDING)
    )
    line = ", ".join(f"{counts.get(s, 0)} {s.value}" for s in OutboxStatus)
    if oldest is not None and oldest <= utcnow():
        line += f"; oldest due for {int((utcnow() - oldest).total_seconds())} s"
    click.echo(f"outbox: {line}.")
