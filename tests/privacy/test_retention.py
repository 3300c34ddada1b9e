"""Retention: ``flask retention apply`` with a frozen clock, one minute each side of each limit.

The clock is frozen at the end of a month (31 March 2026), in the past so the database's own
clock (read by the audit log's guard) is later: 24 months before is 31 March 2024, 12 months
before is 31 March 2025.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from app.models import (
    AuditEntry,
    Channel,
    Concern,
    ConcernSource,
    ConcernStatus,
    Match,
    MatchStatus,
    OutboxMessage,
    OutboxStatus,
    PasswordResetToken,
    Referral,
    ReferralStatus,
    RequestStatus,
    Setting,
    User,
    UserSession,
    Visit,
    VisitLog,
    VisitStatus,
    VolunteerStatus,
    utcnow,
)
from app.privacy import retention
from app.privacy.erasure import ANONYMOUS
from tests import factories
from tests.test_concurrency import _together

FROZEN = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
CUTOFF = datetime(2024, 3, 31, 10, 0, tzinfo=UTC)
LOG_CUTOFF = datetime(2025, 3, 31, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_months_before_keeps_the_time_and_clamps_the_day():
    assert retention.months_before(FROZEN, 24) == CUTOFF
    assert retention.months_before(FROZEN, 1) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert retention.months_before(datetime(2028, 2, 29, tzinfo=UTC), 12) == \
        datetime(2027, 2, 28, tzinfo=UTC)


def _closed_resident(place, name: str, at: datetime) -> User:
    user, _ = factories.make_resident(place.nb_a, first=name)
    user.resident_profile.status = RequestStatus.CLOSED
    user.resident_profile.status_changed_at = at
    user.resident_profile.status_reason = f"raison-{name}"
    return user


def _gone_volunteer(place, name: str, status: VolunteerStatus, at: datetime) -> User:
    user, _ = factories.make_volunteer(place.nb_a, first=name)
    user.volunteer_profile.status = status
    user.volunteer_profile.status_changed_at = at
    return user


def _referral(name: str, at: datetime) -> Referral:
    return Referral(first_name=name, last_name="L", phone="+33536490303", commune_insee="64445",
                    reason=f"raison-{name}", person_agreed=True, referrer_name="Voisine",
                    referrer_relation="neighbour", status=ReferralStatus.DECLINED, handled_at=at)


def _concern(resident: User, words: str, closed_at: datetime) -> Concern:
    return Concern(resident_id=resident.resident_profile.id, source=ConcernSource.AGENT,
                   description=words, status=ConcernStatus.CLOSED, closed_at=closed_at,
                   due_at=closed_at)


def _ended_pair(resident: User, volunteer: User, words: str, ended_at: datetime) -> None:
    """A pair over since ``ended_at``, with ``words`` as its reason and in its visit's note."""
    match = Match(resident_id=resident.resident_profile.id,
                  volunteer_id=volunteer.volunteer_profile.id, status=MatchStatus.ENDED,
                  ended_at=ended_at, status_reason=words)
    db.session.add(match)
    db.session.flush()
    visit = Visit(match_id=match.id, starts_at=ended_at - timedelta(days=7),
                  status=VisitStatus.DONE)
    db.session.add(visit)
    db.session.flush()
    db.session.add(VisitLog(visit_id=visit.id, note=f"note-{words}", logged_at=ended_at))


def _logs(user: User, label: str, at: datetime) -> None:
    """An audit entry, a sent message, a session and a reset token, all of time ``at``."""
    db.session.add_all([
        AuditEntry(at=at, actor_role="system", action=f"test.{label}", object_type="test",
                   object_id=label, detail={}),
        OutboxMessage(created_at=at, sent_at=at, status=OutboxStatus.SENT, channel=Channel.EMAIL,
                      kind=label, user_id=user.id, recipient="x@example.org", subject="s",
                      body="b", next_attempt_at=at),
        UserSession(id=label.ljust(64, "0"), user_id=user.id, created_at=at - MINUTE,
                    last_seen_at=at),
        PasswordResetToken(user_id=user.id, token_hash=label.ljust(64, "1"), created_at=at,
                           expires_at=at),
    ])


@pytest.fixture
def aged(place):
    """One of each kind of record just before its limit ("old") and just after it ("young")."""
    old = _closed_resident(place, "Ancienne", CUTOFF - MINUTE)
    young = _closed_resident(place, "Recente", CUTOFF + MINUTE)
    left = _gone_volunteer(place, "Partie", VolunteerStatus.LEFT, CUTOFF - MINUTE)
    rejected = _gone_volunteer(place, "Refuse", VolunteerStatus.REJECTED, CUTOFF + MINUTE)
    db.session.add_all([_referral("Oubliee", CUTOFF - MINUTE), _referral("Gardee", CUTOFF + MINUTE),
                        _concern(young, "vieille-alerte", CUTOFF - MINUTE),
                        _concern(young, "jeune-alerte", CUTOFF + MINUTE)])
    helper, _ = factories.make_volunteer(place.nb_a, first="Actif")
    for words, ended_at in (("vieux-binome", CUTOFF - MINUTE), ("jeune-binome", CUTOFF + MINUTE)):
        _ended_pair(young, helper, words, ended_at)
    _logs(young, "old", LOG_CUTOFF - MINUTE)
    _logs(young, "young", LOG_CUTOFF + MINUTE)
    pending = OutboxMessage(created_at=LOG_CUTOFF - timedelta(days=90), channel=Channel.EMAIL,
                            kind="pending-old", user_id=young.id, recipient="y@example.org",
                            subject="s", body="b", next_attempt_at=LOG_CUTOFF)
    db.session.add(pending)
    db.session.commit()
    return {"old": old.id, "young": young.id, "left": left.id, "rejected": rejected.id}


def _state() -> dict:
    db.session.rollback()
    names = {u.id: u.first_name for u in db.session.scalars(select(User))}
    state = {
        "names": names,
        "referrals": sorted(db.session.scalars(select(Referral.first_name))),
        "concerns": sorted(db.session.scalars(select(Concern.description))),
        "pairs": sorted(str(r) for r in db.session.scalars(select(Match.status_reason))),
        "notes": sorted(str(n) for n in db.session.scalars(select(VisitLog.note))),
        "audit": sorted(a for a in db.session.scalars(select(AuditEntry.action))
                        if a.startswith("test.")),
        "outbox": sorted(db.session.scalars(select(OutboxMessage.kind))),
        "sessions": sorted(s[:5].rstrip("0") for s in db.session.scalars(select(UserSession.id))),
        "tokens": db.session.scalar(select(func.count()).select_from(PasswordResetToken)),
    }
    db.session.rollback()
    return state


def test_each_limit_anonymises_or_purges_just_before_it_and_keeps_just_after(app, aged):
    report = retention.apply(FROZEN)
    assert (report.cutoff, report.log_cutoff) == (CUTOFF, LOG_CUTOFF)
    state = _state()
    assert state["names"][aged["old"]] == ANONYMOUS and state["names"][aged["left"]] == ANONYMOUS
    assert state["names"][aged["young"]] == "Recente"
    assert state["names"][aged["rejected"]] == "Refuse"
    assert state["referrals"] == [ANONYMOUS, "Gardee"]
    assert state["concerns"] == ["", "jeune-alerte"]
    assert state["pairs"] == ["None", "jeune-binome"]
    assert state["notes"] == ["None", "note-jeune-binome"]
    assert state["audit"] == ["test.young"]
    assert state["outbox"] == ["pending-old", "young"]  # a message never sent is not a log
    assert state["sessions"] == ["young"]
    assert state["tokens"] == 1
    assert report.counts == {"people": 2, "referrals": 1, "concerns": 1, "pairs": 1,
                             "audit_entries": 1,
                             "outbox_messages": 1, "sessions": 1, "reset_tokens": 1}
    old = db.session.get(User, aged["old"])
    assert old.resident_profile.address == "" and old.resident_profile.status_reason is None
    assert not old.can_log_in
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.erase")).all()
    assert {e.object_id for e in entries} == {str(aged["old"]), str(aged["left"])}
    assert all(e.actor_id is None and e.detail["by"] == "retention" for e in entries)


def test_a_second_run_finds_nothing_left_to_do(app, aged):
    retention.apply(FROZEN)
    again = retention.apply(FROZEN)
    assert set(again.counts.values()) == {0}


def test_the_period_is_the_administrators_setting(app, aged):
    db.session.add(Setting(key="retention", value={"months": 6}, updated_at=utcnow()))
    db.session.commit()
    report = retention.apply(FROZEN)
    assert report.cutoff == datetime(2025, 9, 30, 10, 0, tzinfo=UTC)
    assert _state()["names"][aged["young"]] == ANONYMOUS


def test_the_command_and_its_dry_run(app, runner, aged, monkeypatch):
    monkeypatch.setattr(retention, "utcnow", lambda: FROZEN)
    before = _state()
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "(dry run)" in dry.output and "2 people" in dry.output and "1 audit_entries" in dry.output
    assert _state() == before
    done = runner.invoke(args=["retention", "apply"])
    assert done.exit_code == 0, done.output
    assert "2 people" in done.output
    assert _state()["audit"] == ["test.young"]


def test_the_audit_log_refuses_every_change_but_the_purge_of_old_entries(app, place):
    recent = AuditEntry(at=utcnow() - timedelta(days=300), actor_role="system", action="t.recent",
                        object_type="t", object_id="1", detail={})
    old = AuditEntry(at=utcnow() - timedelta(days=400), actor_role="system", action="t.old",
                     object_type="t", object_id="2", detail={})
    db.session.add_all([recent, old])
    db.session.commit()
    for statement in ("DELETE FROM audit_entries WHERE action = 't.recent'",
                      "UPDATE audit_entries SET action = 'x' WHERE action = 't.old'"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    db.session.execute(text("DELETE FROM audit_entries WHERE action = 't.old'"))
    db.session.commit()
    assert sorted(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("t.%")))) == ["t.recent"]


def test_the_audit_guard_allows_the_purge_at_the_jobs_age():
    """The migration's trigger lets through deletions older than its own LOG_MONTHS: it must be
    the job's, else the purge fails (shorter) or leaves entries it may delete (longer)."""
    path = Path(__file__).parents[2] / "migrations/versions/0004_audit_retention_purge.py"
    spec = importlib.util.spec_from_file_location("audit_retention_purge", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.LOG_MONTHS == retention.LOG_MONTHS, \
        "changing LOG_MONTHS needs a migration that moves the audit log's guard"


def test_two_runs_at_once_do_the_work_once(app, place, database_url):
    """Two processes' worth of apps on the same database, released together."""
    for i in range(4):
        _closed_resident(place, f"Personne{i}", utcnow() - timedelta(days=800))
    db.session.commit()
    db.session.close()

    def run(_: int):
        other = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
        with other.app_context():
            try:
                return retention.apply().counts["people"]
            finally:
                db.session.remove()
                db.engine.dispose()

    results = _together(2, run)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 4
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "person.erase")) == 4
