"""Retention: closed records are anonymised after the configured period, logs purged after a year.

- People whose request closed (residents) or whose engagement ended (volunteers who left or were
  rejected) longer ago than the retention period (a setting, 24 months by default) are erased as
  in :mod:`app.privacy.erasure`; so are the words of referrals that did not become a resident,
  of closed concerns, and of pairs that are over (reasons, visit notes, cancel reasons).
- Logs older than :data:`LOG_MONTHS` are deleted: audit entries (the database allows only this
  purge, see migration 0004), sent or abandoned notifications, sessions, reset links. Failed
  logins are counted by the rate limiter's storage (memory or Redis), which expires them itself.

Safe to run twice at once: people are claimed by a conditional UPDATE (each run erases those it
marked) and committed by batches; scrubs only touch rows not yet scrubbed; deleting rows already
deleted deletes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Concern,
    ConcernStatus,
    Match,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    PasswordResetToken,
    Referral,
    ReferralStatus,
    RequestStatus,
    ResidentProfile,
    User,
    UserSession,
    Visit,
    VisitLog,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.privacy.erasure import (
    ANONYMOUS,
    erase_expired,
    scrub_concerns,
    scrub_pairs,
    scrub_referrals,
)
from app.services import audit
from app.services.settings import retention_months
from app.services.vetting import add_months

#: Logs (audit entries, notifications, sessions) are kept this many months.
LOG_MONTHS = 12
#: People erased per transaction.
BATCH = 200
#: Pairs that are over, whatever the way they ended: every status that is not live.
CLOSED_PAIRS = tuple(status for status in MatchStatus if status not in MatchStatus.live())


@dataclass
class Report:
    """What a run did (or, with ``dry_run``, would do)."""

    cutoff: datetime
    log_cutoff: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the command's output."""
        parts = ", ".join(f"{count} {name}" for name, count in self.counts.items())
        return (f"records closed before {self.cutoff:%Y-%m-%d %H:%M} UTC, logs before "
                f"{self.log_cutoff:%Y-%m-%d %H:%M} UTC: {parts}")


def months_before(moment: datetime, months: int) -> datetime:
    """The same time of day ``months`` calendar months earlier (31 March -> 28 or 29 February)."""
    day = add_months(moment.date(), -months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


def apply(now: datetime | None = None, *, dry_run: bool = False) -> Report:
    """Anonymise and purge what is past its time; commits as it goes unless ``dry_run``."""
    now = now or utcnow()
    report = Report(months_before(now, retention_months()), months_before(now, LOG_MONTHS))
    people = _expired_people(report.cutoff)
    report.counts["people"] = len(people)
    if not dry_run:
        report.counts["people"] = sum(_erase_batch(people[i:i + BATCH])
                                      for i in range(0, len(people), BATCH))
    for name, model, condition, action in (_record_steps(report.cutoff)
                                           + _log_steps(report.log_cutoff)):
        report.counts[name] = _count(model, condition) if dry_run else action(condition)
    if dry_run:
        db.session.rollback()
        return report
    audit.record("retention.apply", "retention", now.date().isoformat(), actor=None,
                 counts=dict(report.counts))
    db.session.commit()
    return report


def _expired_people(cutoff: datetime) -> list:
    closed_residents = (
        select(User.id).join(ResidentProfile, ResidentProfile.user_id == User.id)
        .where(User.anonymised_at.is_(None), ResidentProfile.status == RequestStatus.CLOSED,
               func.coalesce(ResidentProfile.status_changed_at, ResidentProfile.updated_at) < cutoff)
    )
    gone_volunteers = (
        select(User.id).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(User.anonymised_at.is_(None),
               VolunteerProfile.status.in_([VolunteerStatus.LEFT, VolunteerStatus.REJECTED]),
               func.coalesce(VolunteerProfile.status_changed_at, VolunteerProfile.updated_at) < cutoff)
    )
    return list(db.session.scalars(closed_residents.union(gone_volunteers)))


def _erase_batch(user_ids: list) -> int:
    erased = erase_expired(user_ids)
    db.session.commit()  # a batch at a time: a long run holds no lock for long
    return erased


def _record_steps(cutoff: datetime) -> list:
    old_referrals = (Referral.status.in_([ReferralStatus.DECLINED, ReferralStatus.UNREACHABLE])
                     & (func.coalesce(Referral.handled_at, Referral.updated_at) < cutoff)
                     & (Referral.first_name != ANONYMOUS))
    old_concerns = ((Concern.status == ConcernStatus.CLOSED) & (Concern.closed_at < cutoff)
                    & (Concern.description != ""))
    visits_with_words = select(Visit.match_id).outerjoin(VisitLog).where(
        or_(Visit.cancel_reason.is_not(None), VisitLog.note.is_not(None)))
    old_pairs = (Match.status.in_(CLOSED_PAIRS)
                 & (func.coalesce(Match.ended_at, Match.updated_at) < cutoff)
                 & or_(Match.status_reason.is_not(None), Match.id.in_(visits_with_words)))
    return [("referrals", Referral, old_referrals, scrub_referrals),
            ("concerns", Concern, old_concerns, _by_ids(Concern, scrub_concerns)),
            ("pairs", Match, old_pairs, _by_ids(Match, scrub_pairs))]


def _by_ids(model, scrub):
    """Run ``scrub`` on the ids of the rows that meet a condition; how many there were."""
    def run(condition) -> int:
        ids = list(db.session.scalars(select(model.id).where(condition)))
        if ids:
            scrub(ids)
        return len(ids)
    return run


def _log_steps(cutoff: datetime) -> list:
    return [
        ("audit_entries", AuditEntry, AuditEntry.at < cutoff, _deleter(AuditEntry)),
        ("outbox_messages", OutboxMessage,
         OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED])
         & (func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff),
         _deleter(OutboxMessage)),
        ("sessions", UserSession, UserSession.last_seen_at < cutoff, _deleter(UserSession)),
        ("reset_tokens", PasswordResetToken, PasswordResetToken.expires_at < cutoff,
         _deleter(PasswordResetToken)),
    ]


def _deleter(model):
    def run(condition) -> int:
        return db.session.execute(
            delete(model).where(condition).execution_options(synchronize_session=False)
        ).rowcount
    return run


def _count(model, condition) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0
