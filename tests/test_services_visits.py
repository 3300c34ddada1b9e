"""Visits: scheduling inside the shared slots, Paris time, confirm, cancel and log."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PARIS, Concern, ConcernSource, Match, Mood, Severity, VisitStatus, utcnow
from app.services import matching, pairs, visits
from app.services.errors import DomainError, InvalidTransition
from tests import factories


@pytest.fixture
def active(place, agent):
    """An active pair; they share Monday morning (resident: mon-am, wed-pm; volunteer: mon-am, fri-pm)."""
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    pairs.approve(match, agent[0])
    pairs.accept(match, volunteer)
    db.session.commit()
    return match, resident, volunteer


def _next_weekday(weekday: int, hour: int, minute: int = 0) -> datetime:
    day = (utcnow() + timedelta(days=1)).date()
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, hour, minute)


@pytest.mark.parametrize(("hour", "minute", "slot"), [
    (9, 0, "mon-am"), (11, 59, "mon-am"), (12, 0, "mon-pm"), (17, 59, "mon-pm"),
    (18, 0, "mon-eve"), (21, 30, "mon-eve"),
])
def test_slot_of_reads_paris_time(hour, minute, slot):
    local = datetime(2026, 1, 5, hour, minute, tzinfo=PARIS)  # a Monday in winter (UTC+1)
    assert visits.slot_of(local.astimezone(ZoneInfo("UTC"))) == slot


def test_schedule_a_visit_in_a_shared_slot(active):
    match, resident, volunteer = active
    planned = visits.schedule(match, volunteer, _next_weekday(0, 10))
    db.session.commit()
    assert len(planned) == 1 and planned[0].status is VisitStatus.SCHEDULED
    assert planned[0].starts_at.astimezone(PARIS).hour == 10


def test_weekly_visits_keep_their_local_hour_across_daylight_saving(active):
    match, _, volunteer = active
    planned = visits.schedule(match, volunteer, _next_weekday(0, 10), weeks=12)
    assert len({v.series_id for v in planned}) == 1
    assert {v.starts_at.astimezone(PARIS).strftime("%a %H:%M") for v in planned} == {"Mon 10:00"}


@pytest.mark.parametrize(("weekday", "hour"), [(2, 15), (4, 15), (0, 15)])
def test_a_slot_that_is_not_shared_is_refused(active, weekday, hour):
    match, _, volunteer = active
    with pytest.raises(DomainError) as refused:
        visits.schedule(match, volunteer, _next_weekday(weekday, hour))
    assert refused.value.field == "starts_at"


def test_a_date_in_the_past_is_refused(active):
    match, _, volunteer = active
    last_monday = _next_weekday(0, 10) - timedelta(days=7)
    with pytest.raises(DomainError) as refused:
        visits.schedule(match, volunteer, last_monday)
    assert refused.value.field == "starts_on"


def test_visits_need_an_active_pair(active):
    match, resident, volunteer = active
    pairs.pause(match, volunteer, "vacances")
    with pytest.raises(DomainError):
        visits.schedule(match, volunteer, _next_weekday(0, 10))


def test_confirm_then_cancel_once(active):
    match, resident, volunteer = active
    visit = visits.schedule(match, volunteer, _next_weekday(0, 10))[0]
    visits.confirm(visit, resident)
    assert visit.resident_confirmed_at is not None
    visits.cancel(visit, resident, "rendez-vous médical")
    db.session.commit()
    assert visit.status is VisitStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        visits.cancel(visit, volunteer, "encore")
    with pytest.raises(InvalidTransition):
        visits.confirm(visit, resident)


def test_a_visit_is_logged_after_it_happens_only(active):
    match, _, volunteer = active
    visit = visits.schedule(match, volunteer, _next_weekday(0, 10))[0]
    with pytest.raises(DomainError):
        visits.log(visit, volunteer, done=True, mood=Mood.GOOD, note=None)
    visit.starts_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    visits.log(visit, volunteer, done=True, mood=Mood.GOOD, note="Bonne visite")
    db.session.commit()
    assert visit.status is VisitStatus.DONE and visit.log.mood is Mood.GOOD
    with pytest.raises(InvalidTransition):
        visits.log(visit, volunteer, done=False, mood=None, note=None)


def test_a_worrying_visit_opens_a_high_concern_for_agents(active, agent):
    match, _, volunteer = active
    visit = visits.schedule(match, volunteer, _next_weekday(0, 10))[0]
    visit.starts_at = utcnow() - timedelta(hours=1)
    visits.log(visit, volunteer, done=True, mood=Mood.WORRYING, note="Très fatiguée")
    db.session.commit()
    concern = db.session.scalar(select(Concern))
    assert concern.source is ConcernSource.VISIT_LOG and concern.severity is Severity.HIGH
    assert concern.resident_id == match.resident_id and concern.visit_id == visit.id
    assert concern.due_at - concern.created_at <= timedelta(days=1, seconds=5)


def test_a_missed_visit_keeps_no_mood(active):
    match, _, volunteer = active
    visit = visits.schedule(match, volunteer, _next_weekday(0, 10))[0]
    visit.starts_at = utcnow() - timedelta(hours=1)
    entry = visits.log(visit, volunteer, done=False, mood=Mood.WORRYING, note=None)
    assert visit.status is VisitStatus.MISSED and entry.mood is None
    assert db.session.scalar(select(Concern)) is None
