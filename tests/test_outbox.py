"""The outbox: messages written with the change, sent once by the worker, retried, never lost."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.commands.outbox import outbox_cli
from app.extensions import db
from app.models import PARIS, Channel, Match, OutboxMessage, OutboxStatus, User, Visit, utcnow
from app.notifications import worker
from app.notifications.senders import EmailSender
from app.services import matching, pairs, visits
from tests import factories

S = OutboxStatus


# Helpers shared with test_notifications.py --------------------------------------------------

def active_pair(place, agent: User, resident: User | None = None) -> tuple[Match, User, User]:
    """An active pair made through the services; they share Monday morning."""
    resident = resident or factories.make_resident(place.nb_a)[0]
    volunteer, _ = factories.make_volunteer(place.nb_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match).where(Match.resident_id == resident.resident_profile.id))
    pairs.approve(match, agent)
    pairs.accept(match, volunteer)
    db.session.commit()
    return match, resident, volunteer


def add_visit(match: Match, starts_at: datetime) -> Visit:
    """A scheduled visit at any time (the service only allows shared slots in the future)."""
    visit = Visit(match_id=match.id, starts_at=starts_at, duration_minutes=60,
                  scheduled_by_id=match.volunteer.user_id)
    db.session.add(visit)
    db.session.commit()
    return visit


def paris_day_at(days_ahead: int, hour: int) -> datetime:
    """``hour`` o'clock, Paris time, ``days_ahead`` days after today in Paris."""
    day = utcnow().astimezone(PARIS).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def queue(n: int = 1, **values) -> list[OutboxMessage]:
    """Pending e-mails, due now."""
    messages = [
        OutboxMessage(created_at=utcnow(), channel=Channel.EMAIL, kind="test",
                      recipient=f"person{i}@example.org", subject=f"Sujet {i}",
                      body=f"Corps du message numéro {i}.", next_attempt_at=utcnow(), **values)
        for i in range(n)
    ]
    db.session.add_all(messages)
    db.session.commit()
    return messages


def mailbox(app) -> list:
    """E-mails handed to the locmem backend."""
    return getattr(app.extensions["mailman"], "outbox", [])


def reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def make_due(*messages: OutboxMessage) -> None:
    """Time passes: the retry delay is over."""
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.id.in_([m.id for m in messages]))
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def closed_port() -> int:
    """A local TCP port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pair(place, agent):
    return active_pair(place, agent[0])


# Written in the change's own transaction ---------------------------------------------------

def count_messages(**where) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).filter_by(**where))


def test_a_rolled_back_change_leaves_no_message_and_a_committed_one_leaves_one(app, pair):
    match, resident, volunteer = pair
    visit = add_visit(match, paris_day_at(3, 10))
    before = count_messages()

    visits.cancel(visit, resident, "empêchement")
    assert count_messages(kind="visit_cancelled") == 1  # in the open transaction
    db.session.rollback()
    assert count_messages() == before
    assert db.session.get(Visit, visit.id).cancelled_at is None

    visits.cancel(visit, resident, "empêchement")
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).filter_by(kind="visit_cancelled"))
    assert count_messages() == before + 1
    assert message.recipient == volunteer.email and message.status is S.PENDING


# Sending -----------------------------------------------------------------------------------

def test_send_delivers_each_pending_message_once_and_marks_it_sent(app, runner):
    messages = queue(3)
    result = runner.invoke(outbox_cli, ["send"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output
    assert sorted(m.to[0] for m in mailbox(app)) == sorted(m.recipient for m in messages)
    sent = mailbox(app)[0]
    assert sent.subject.startswith("Sujet") and sent.body.startswith("Corps du message")
    for message in messages:
        message = reload(message)
        assert message.status is S.SENT and message.sent_at is not None
        assert message.attempts == 0 and message.last_error is None

    again = runner.invoke(outbox_cli, ["send"])
    assert again.exit_code == 0 and "0 sent" in again.output
    assert len(mailbox(app)) == 3


def test_a_message_not_due_yet_waits(app):
    [message] = queue(1)
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert worker.send_due().sent == 0
    assert reload(message).status is S.PENDING and mailbox(app) == []


def test_the_same_message_id_is_used_on_every_attempt(app):
    [message] = queue(1)
    worker.send_due()
    header = mailbox(app)[0].message()["Message-ID"]
    assert header.startswith(f"<outbox-{message.id}-") and header.endswith("@example.org>")


@pytest.mark.parametrize("error", [
    smtplib.SMTPException("421 4.3.2 service not available"),
    ConnectionRefusedError(111, "Connection refused"),
])
def test_a_failing_backend_keeps_the_message_with_its_error_and_retries_later(app, monkeypatch,
                                                                             error):
    [message] = queue(1)

    def broken(self, outgoing):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(EmailSender, "send", broken)
        tally = worker.send_due()
    assert (tally.sent, tally.retrying) == (0, 1)
    failed = reload(message)
    assert failed.status is S.PENDING and failed.attempts == 1 and failed.sent_at is None
    assert failed.last_error.startswith(type(error).__name__)
    assert "\n" not in failed.last_error and failed.body not in failed.last_error
    assert failed.next_attempt_at > utcnow() + timedelta(seconds=30)
    assert mailbox(app) == []

    # The backend is back, but the retry delay is not over: nothing yet.
    assert worker.send_due().sent == 0
    make_due(message)
    assert worker.send_due().sent == 1
    assert worker.send_due().sent == 0
    assert len(mailbox(app)) == 1
    sent = reload(message)
    assert sent.status is S.SENT and sent.attempts == 1 and sent.last_error is None


def test_an_unreachable_smtp_server_is_a_retry_not_a_loss(app, monkeypatch):
    """The real SMTP backend, pointed at a closed port: connection refused."""
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", closed_port())
    [message] = queue(1)
    assert worker.send_due().retrying == 1
    failed = reload(message)
    assert failed.status is S.PENDING and failed.attempts == 1
    assert failed.last_error.startswith("ConnectionRefusedError")


def test_a_recipient_refused_for_good_fails_at_once(app, monkeypatch):
    [message] = queue(1)

    def refused(self, outgoing):
        raise smtplib.SMTPRecipientsRefused({outgoing.recipient: (550, b"5.1.1 no such user")})

    monkeypatch.setattr(EmailSender, "send", refused)
    assert worker.send_due().failed == 1
    failed = reload(message)
    assert failed.status is S.FAILED and failed.attempts == 1


def test_after_max_attempts_the_message_is_failed_and_never_sent(app, monkeypatch):
    [message] = queue(1, attempts=worker.MAX_ATTEMPTS - 1)
    with monkeypatch.context() as patch:
        patch.setattr(EmailSender, "send", lambda self, m: (_ for _ in ()).throw(OSError("down")))
        assert worker.send_due().failed == 1
    failed = reload(message)
    assert failed.status is S.FAILED and failed.attempts == worker.MAX_ATTEMPTS
    assert failed.last_error == "OSError: down"
    make_due(message)
    assert worker.send_due().sent == 0 and mailbox(app) == []


def test_backoff_doubles_from_one_minute_up_to_six_hours():
    assert [worker.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert worker.backoff(10) == timedelta(hours=6)
    assert worker.backoff(1000) == timedelta(hours=6)


def test_an_error_quoting_the_body_is_not_stored():
    body = "Bonjour Jeanne,\nune visite est prévue demain."
    error = smtplib.SMTPDataError(554, b"rejected: une visite est prevue demain")
    assert "visite" in worker.describe(error, "")
    leaked = ValueError(f"bad content: {body.splitlines()[1]}")
    assert worker.describe(leaked, body) == "ValueError: (detail withheld: it quoted the message)"


# Several workers ---------------------------------------------------------------------------

def test_only_one_claim_of_a_message_wins(app):
    [message] = queue(1)
    first = worker.claim(message.id)
    second = worker.claim(message.id)
    assert first is not None and first.id == message.id and first.body == message.body
    assert second is None
    assert reload(message).status is S.SENDING


def test_a_message_not_due_cannot_be_claimed(app):
    [message] = queue(1)
    message.next_attempt_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    assert worker.claim(message.id) is None


def test_two_workers_at_once_send_every_message_exactly_once(app, monkeypatch):
    messages = queue(30)
    db.session.commit()
    delivered: list[int] = []
    lock = threading.Lock()

    def slow_send(self, outgoing):
        with lock:
            delivered.append(outgoing.id)
        time.sleep(0.005)

    monkeypatch.setattr(EmailSender, "send", slow_send)
    start = threading.Barrier(2)
    tallies: list[worker.Tally] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                start.wait()
                tallies.append(worker.send_due(batch_size=10))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(delivered) == sorted(m.id for m in messages)
    assert sum(t.sent for t in tallies) == 30
    assert count_messages(status=S.SENT) == 30


def test_a_message_left_sending_by_a_dead_worker_is_sent_by_the_next_run(app):
    stuck, fresh, exhausted = queue(3)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == stuck.id).values(
        status=S.SENDING, next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == fresh.id).values(
        status=S.SENDING, next_attempt_at=utcnow() + worker.LEASE))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == exhausted.id).values(
        status=S.SENDING, attempts=worker.MAX_ATTEMPTS - 1, next_attempt_at=utcnow()))
    db.session.commit()

    tally = worker.send_due()
    assert (tally.recovered, tally.sent) == (2, 1)
    assert [m.to[0] for m in mailbox(app)] == [stuck.recipient]
    recovered = reload(stuck)
    assert recovered.status is S.SENT and recovered.attempts == 1
    assert reload(fresh).status is S.SENDING  # its worker may still be at it
    given_up = reload(exhausted)
    assert given_up.status is S.FAILED and given_up.last_error == worker.INTERRUPTED


def test_a_worker_that_outlived_its_claim_does_not_overwrite_the_next_one(app):
    [message] = queue(1)
    slow = worker.claim(message.id)
    make_due(message)  # the lease runs out
    worker.recover_stuck()
    fast = worker.claim(message.id)
    assert fast is not None and fast.attempts == slow.attempts + 1
    assert worker.mark_sent(slow) is False
    assert reload(message).status is S.SENDING
    assert worker.mark_sent(fast) is True
    assert reload(message).status is S.SENT


# The command -------------------------------------------------------------------------------

def test_loop_runs_the_given_number_of_rounds(app, runner):
    queue(2)
    result = runner.invoke(outbox_cli, ["send", "--loop", "--interval", "0", "--max-batches", "3"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output and len(mailbox(app)) == 2


def test_max_batches_needs_loop(runner):
    result = runner.invoke(outbox_cli, ["send", "--max-batches", "2"])
    assert result.exit_code == 2 and "--max-batches" in result.output


def test_a_misconfigured_sms_sender_is_refused_before_sending(app, runner):
    queue(1)
    app.config["SMS_SENDER"] = "nowhere"
    result = runner.invoke(outbox_cli, ["send"])
    assert result.exit_code == 2 and "SMS_SENDER" in result.output
    assert mailbox(app) == []


def test_the_loop_stops_cleanly_on_sigterm(app):
    queue(1)
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    started = time.monotonic()
    timer.start()
    try:
        with worker.stop_on_signals() as stop:
            tally = worker.run_loop(interval=30, stop=stop)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 5
    assert tally.sent == 1
    assert signal.getsignal(signal.SIGTERM) == before


def test_status_counts_messages_by_state(app, runner):
    queue(2)
    worker.claim(queue(1)[0].id)
    result = runner.invoke(outbox_cli, ["status"])
    assert result.exit_code == 0
    assert "2 pending, 1 sending, 0 sent, 0 failed" in result.output
