"""Every periodic job is a command that is safe to run twice at once: nothing is queued or sent twice.

A world with one thing due for each job (a visit tomorrow, an overdue concern, a pair without a
visit for 30 days, a vetting step expiring in 10 days); each command runs in two threads released
together, each with its own app context and database connection (SQLite serialises them on its
write lock, PostgreSQL runs them at the same time), then once more, alone. About 15 s.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import click
import pytest
from sqlalchemy import func, select

from app.commands.followup import concerns_cli
from app.commands.outbox import outbox_cli
from app.commands.scheduled import attention_cli, vetting_cli
from app.extensions import db
from app.models import (
    ConcernSource,
    OutboxMessage,
    OutboxStatus,
    Severity,
    VettingKind,
    VettingStep,
    paris_today,
    utcnow,
)
from app.services import concerns
from app.vocabulary import VETTING_LABELS
from tests.test_outbox import active_pair, add_visit, mailbox, paris_day_at

#: Each job, and the kind of message it queues (one in this world).
JOBS = {
    "outbox remind": (outbox_cli, "remind", "visit_reminder"),
    "concerns escalate": (concerns_cli, "escalate", "concern_overdue"),
    "attention digest": (attention_cli, "digest", "attention_digest"),
    "vetting expiry": (vetting_cli, "expiry", "vetting_expiry"),
}


def _twice_at_once(app, group: click.Group, name: str) -> list[BaseException | None]:
    """Run ``flask <group> <name>`` in two threads at the same instant; their errors."""
    command = group.commands[name]
    barrier, errors = threading.Barrier(2), [None, None]

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                click.Context(command).invoke(command)
            except BaseException as exc:  # noqa: BLE001  (kept and asserted on)
                errors[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _messages(kind: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == kind))


@pytest.fixture
def world(app, place, agent):
    """One thing due for each job."""
    match, _, volunteer = active_pair(place, agent[0])
    match.accepted_at = utcnow() - timedelta(days=30)  # no visit done since: needs attention
    add_visit(match, paris_day_at(1, 10))  # tomorrow, in Paris
    concern = concerns.raise_concern(volunteer, ConcernSource.VOLUNTEER, "Ne répond plus",
                                     resident=match.resident, match=match, severity=Severity.LOW)
    concern.due_at = utcnow() - timedelta(hours=1)
    today = paris_today()
    db.session.add(VettingStep(volunteer_id=volunteer.volunteer_profile.id,
                               kind=VettingKind.CRIMINAL_RECORD, done_on=today - timedelta(days=1),
                               expires_on=today + timedelta(days=10), created_at=utcnow()))
    db.session.commit()
    db.session.close()


@pytest.mark.parametrize("job", list(JOBS))
def test_a_job_run_twice_at_once_queues_each_message_once(app, world, job):
    group, name, kind = JOBS[job]
    assert _messages(kind) == 0
    db.session.close()
    assert _twice_at_once(app, group, name) == [None, None]
    assert _messages(kind) == 1, f"{job} run twice at once queued {_messages(kind)} messages"
    db.session.close()
    assert _twice_at_once(app, group, name) == [None, None]
    assert _messages(kind) == 1, f"{job} run again queued more"


def test_two_outbox_senders_at_once_deliver_each_message_once(app, world):
    for group, name, _ in JOBS.values():
        assert _twice_at_once(app, group, name) == [None, None]
    pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == OutboxStatus.PENDING))
    assert pending >= len(JOBS)
    db.session.close()
    assert _twice_at_once(app, outbox_cli, "send") == [None, None]
    db.session.rollback()
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.SENT))
    assert sent == pending
    delivered = sorted(m.to[0] + m.subject for m in mailbox(app))
    assert len(delivered) == pending
    ids = [m.extra_headers.get("Message-ID") for m in mailbox(app)]
    assert len(set(ids)) == len(ids) == pending, "a message was delivered twice"


def test_the_vetting_notice_names_the_step_and_its_day(app, world):
    assert _twice_at_once(app, vetting_cli, "expiry") == [None, None]
    body = db.session.scalar(select(OutboxMessage.body)
                             .where(OutboxMessage.kind == "vetting_expiry"))
    assert str(VETTING_LABELS[VettingKind.CRIMINAL_RECORD]).lower() in body
    assert "ne sera plus valable après le" in body
