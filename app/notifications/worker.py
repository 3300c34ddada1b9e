"""The outbox worker: claim due messages one by one, send them, record the outcome, retry later.

How one message goes out:

1. **Claim**: ``UPDATE … SET status='sending' WHERE id=? AND status='pending' AND due``, then
   COMMIT. The database lets exactly one worker see ``rowcount == 1``, however many run at once
   (PostgreSQL re-checks the WHERE after waiting on the row lock; SQLite has a single writer).
   While a message is ``sending``, ``next_attempt_at`` holds the end of the claim's lease.
2. **Send**, outside any transaction, so no lock is held while the mail server answers.
3. **Settle**: ``sent`` (with ``sent_at``), or back to ``pending`` with ``attempts + 1``, the
   error's one-line text in ``last_error`` and ``next_attempt_at`` pushed back exponentially
   (1 min, 2, 4 … capped at 6 h); after :data:`MAX_ATTEMPTS`, or when the server refuses the
   recipient for good (5xx), ``failed``. The UPDATE also checks the claim is still ours.

A worker killed between 1 and 3 leaves the message ``sending``; when the lease
(:data:`LEASE`, 15 minutes) has run out, the next run puts it back to ``pending``, counting the
interrupted attempt.

Delivery is **at least once**, not exactly once. If a worker dies after the mail server (or SMS
provider) has accepted a message but before step 3 commits, that message is sent a second time
when its lease runs out. The window is the few milliseconds between the server's answer and a
one-row commit, so it takes a crash or a database outage at that very moment. Everything else
that could double a message is closed: claims are exclusive, sends happen outside transactions,
the SMTP timeout (30 s) is far below the lease, an error on closing an SMTP connection after
the server accepted the message is not treated as a failure, and a late settle cannot overwrite
another worker's claim. E-mails carry the same Message-ID on every attempt, so a second copy is
recognisable; SMS adapters get a stable ``message_id`` to pass on as the provider's reference.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import smtplib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, utcnow
from app.notifications.senders import Outgoing, Senders

logger = logging.getLogger("voisinage.outbox")

#: Attempts before a message is given up (``failed``): with the backoff below, about 20 hours.
MAX_ATTEMPTS = 12
#: Wait before the first retry; doubled at each attempt, up to :data:`MAX_RETRY_DELAY`.
FIRST_RETRY_DELAY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=6)
#: How long a claim lasts: a message still ``sending`` after this was left by a dead worker.
LEASE = timedelta(minutes=15)
#: Messages listed per batch.
BATCH_SIZE = 100
#: ``last_error`` of a message whose worker stopped while sending it.
INTERRUPTED = "interrupted: the worker stopped while sending (claim expired)"

M = OutboxMessage
S = OutboxStatus


@dataclass
class Tally:
    """What one or more batches did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    #: Listed as due, but another worker claimed it first.
    taken: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retrying} to retry later, {self.failed} failed, "
                f"{self.recovered} recovered from a stopped worker, "
                f"{self.taken} taken by another worker")


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1 min, 2, 4 … at most 6 h."""
    return min(FIRST_RETRY_DELAY * 2 ** min(max(attempts - 1, 0), 20), MAX_RETRY_DELAY)


def recover_stuck(now: datetime | None = None) -> int:
    """Put messages whose claim expired back to ``pending`` (or ``failed`` when out of attempts)."""
    now = now or utcnow()
    expired = (M.status == S.SENDING, M.next_attempt_at <= now)
    common = {"attempts": M.attempts + 1, "last_error": INTERRUPTED, "next_attempt_at": now}
    given_up = _update(update(M).where(*expired, M.attempts + 1 >= MAX_ATTEMPTS)
                       .values(status=S.FAILED, **common))
    retried = _update(update(M).where(*expired).values(status=S.PENDING, **common))
    db.session.commit()
    if given_up or retried:
        logger.warning("%d message(s) left sending by a stopped worker put back, "
                       "%d given up", retried, given_up)
    return given_up + retried


def due_ids(limit: int = BATCH_SIZE, now: datetime | None = None) -> list[int]:
    """Ids of pending messages whose time has come, oldest first."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(M.id).where(M.status == S.PENDING, M.next_attempt_at <= now)
        .order_by(M.next_attempt_at, M.id).limit(limit)
    ))
    db.session.commit()
    return ids


def claim(message_id: int, now: datetime | None = None) -> Outgoing | None:
    """Take a due message for this worker and commit; None when another worker has it."""
    now = now or utcnow()
    taken = _update(
        update(M).where(M.id == message_id, M.status == S.PENDING, M.next_attempt_at <= now)
        .values(status=S.SENDING, next_attempt_at=now + LEASE)
    )
    if taken != 1:
        db.session.rollback()
        return None
    row = db.session.execute(
        select(M.id, M.channel, M.recipient, M.subject, M.body, M.attempts, M.created_at)
        .where(M.id == message_id)
    ).one()
    db.session.commit()
    return Outgoing(*row)


def mark_sent(message: Outgoing, now: datetime | None = None) -> bool:
    """Record a message as sent; False if its claim was lost meanwhile (logged)."""
    return _settle(message, status=S.SENT, sent_at=now or utcnow(), last_error=None)


def mark_failed(message: Outgoing, error: BaseException, now: datetime | None = None) -> OutboxStatus:
    """Record a failed attempt: retry later with backoff, or give up; returns the new status."""
    now = now or utcnow()
    attempts = message.attempts + 1
    final = attempts >= MAX_ATTEMPTS or is_permanent(error)
    status = S.FAILED if final else S.PENDING
    _settle(message, status=status, attempts=attempts, last_error=describe(error, message.body),
            next_attempt_at=now if final else now + backoff(attempts))
    return status


def is_permanent(error: BaseException) -> bool:
    """Whether trying again cannot help: the mail server refused the recipient for good (5xx).

    Other errors, including authentication and sender refusals, come from the service's own
    set-up or from the server's state: once fixed, the retries deliver the message.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return False


def describe(error: BaseException, body: str = "") -> str:
    """The error as one short line for ``last_error``; never any line of the message's body."""
    text = " ".join(str(error).split())
    if any(len(line.strip()) >= 12 and line.strip() in text for line in body.splitlines()):
        text = "(detail withheld: it quoted the message)"
    name = type(error).__name__
    return (f"{name}: {text}" if text else name)[:300]


def send_due(*, batch_size: int = BATCH_SIZE, should_stop: Callable[[], bool] = lambda: False,
             senders: Senders | None = None) -> Tally:
    """Send every message due now, batch after batch, then return; stops early on request."""
    tally = Tally(recovered=recover_stuck())
    senders = senders or Senders()
    try:
        while not should_stop():
            ids = due_ids(batch_size)
            for message_id in ids:
                if should_stop():
                    break
                _send_one(message_id, senders, tally)
            if len(ids) < batch_size:
                break
    finally:
        senders.close()
    return tally


def run_loop(*, interval: float, stop: threading.Event, max_batches: int | None = None,
             batch_size: int = BATCH_SIZE, senders_factory: Callable[[], Senders] = Senders) -> Tally:
    """Send due messages, sleep ``interval`` seconds, again, until ``stop`` is set.

    A database outage does not end the loop: the round is logged and tried again later.
    """
    total, rounds = Tally(), 0
    while not stop.is_set():
        try:
            total += send_due(batch_size=batch_size, should_stop=stop.is_set,
                              senders=senders_factory())
        except SQLAlchemyError:
            logger.exception("database error, trying again in %s s", interval)
            with contextlib.suppress(SQLAlchemyError):
                db.session.rollback()
        rounds += 1
        if max_batches is not None and rounds >= max_batches:
            break
        stop.wait(interval)
    return total


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT; the message being sent is finished first.

    A second signal acts as usual (the default handlers are back after the first one).
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _handle(signum, _frame):
        logger.info("signal %s received, stopping after the current message", signum)
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in previous:
        signal.signal(sig, _handle)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _send_one(message_id: int, senders: Senders, tally: Tally) -> None:
    message = claim(message_id)
    if message is None:
        tally.taken += 1
        return
    try:
        senders.deliver(message)
    except Exception as error:  # noqa: BLE001 - any failure of a channel is retried later
        status = mark_failed(message, error)
        if status is S.FAILED:
            tally.failed += 1
            logger.error("outbox %s (%s) failed for good after %d attempt(s): %s", message.id,
                         message.channel.value, message.attempts + 1, type(error).__name__)
        else:
            tally.retrying += 1
            logger.warning("outbox %s (%s) not sent, will retry: %s", message.id,
                           message.channel.value, type(error).__name__)
        return
    mark_sent(message)
    tally.sent += 1


def _settle(message: Outgoing, **values) -> bool:
    # The claim is ours only while the row is still "sending" with the attempts we read: a
    # worker that outlived its lease must not overwrite the next worker's claim.
    settled = _update(update(M).where(M.id == message.id, M.status == S.SENDING,
                                      M.attempts == message.attempts).values(**values))
    db.session.commit()
    if settled != 1:
        logger.warning("outbox %s: claim lost while sending (lease expired); outcome not recorded",
                       message.id)
    return settled == 1


def _update(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
