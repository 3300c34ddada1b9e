"""Vetting: steps dated and attributed, decisions allowed only from the right states."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Match, MatchStatus, VettingKind, VolunteerStatus, utcnow
from app.services import matching, pairs, vetting
from app.services.errors import DomainError, InvalidTransition
from tests import factories

V = VolunteerStatus
ALL_BUT_CHARTER = [k for k in VettingKind if k is not VettingKind.CHARTER]


def _complete(volunteer, agent, done_on: date | None = None):
    for kind in ALL_BUT_CHARTER:
        vetting.record_step(volunteer, kind, agent, done_on=done_on or utcnow().date())


def test_first_step_moves_the_application_into_review(applicant, agent):
    profile = applicant[0].volunteer_profile
    step = vetting.record_step(profile, VettingKind.IDENTITY, agent[0], done_on=utcnow().date())
    assert profile.status is V.IN_REVIEW
    assert step.recorded_by_id == agent[0].id
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["vetting.step", "vetting.start_review"]


def test_the_record_extract_expires_after_twelve_months(applicant, agent):
    profile = applicant[0].volunteer_profile
    done = utcnow().date() - timedelta(days=10)
    step = vetting.record_step(profile, VettingKind.CRIMINAL_RECORD, agent[0], done_on=done)
    assert step.expires_on == vetting.add_months(done, 12)
    assert vetting.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert vetting.add_months(date(2026, 11, 27), 12) == date(2027, 11, 27)


def test_approval_needs_every_step_valid(applicant, agent):
    profile = applicant[0].volunteer_profile
    vetting.record_step(profile, VettingKind.IDENTITY, agent[0], done_on=utcnow().date())
    with pytest.raises(DomainError) as refused:
        vetting.approve(profile, agent[0])
    assert "casier" in refused.value.message and "entretien" in refused.value.message
    _complete(profile, agent[0])
    vetting.approve(profile, agent[0])
    assert profile.status is V.APPROVED
    assert vetting.missing_steps(profile) == []


def test_an_expired_extract_blocks_approval(applicant, agent):
    profile = applicant[0].volunteer_profile
    _complete(profile, agent[0], done_on=utcnow().date() - timedelta(days=400))
    assert vetting.missing_steps(profile) == [VettingKind.CRIMINAL_RECORD]
    with pytest.raises(DomainError):
        vetting.approve(profile, agent[0])


def test_future_dates_are_refused(applicant, agent):
    with pytest.raises(DomainError) as refused:
        vetting.record_step(applicant[0].volunteer_profile, VettingKind.INTERVIEW, agent[0],
                            done_on=utcnow().date() + timedelta(days=2))
    assert refused.value.field == "done_on"


def test_reject_suspend_reinstate_leave(applicant, agent):
    profile = applicant[0].volunteer_profile
    vetting.reject(profile, agent[0], "pas de disponibilité")
    assert profile.status is V.REJECTED and profile.status_reason == "pas de disponibilité"
    with pytest.raises(InvalidTransition):
        vetting.suspend(profile, agent[0], "x")
    with pytest.raises(InvalidTransition):
        vetting.approve(profile, agent[0])
    with pytest.raises(InvalidTransition):
        vetting.reinstate(profile, agent[0])
    vetting.leave(profile, agent[0])
    assert profile.status is V.LEFT


def test_suspending_closes_live_pairs_at_once(place, agent):
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    matching.run_matching(place.territory_a)
    match = db.session.scalar(select(Match))
    pairs.approve(match, agent[0])
    pairs.accept(match, volunteer)
    vetting.suspend(volunteer.volunteer_profile, agent[0], "plainte")
    db.session.commit()
    assert match.status is MatchStatus.ENDED
    assert not pairs.shows_resident_contact(match)
    with pytest.raises(DomainError):
        vetting.reinstate(volunteer.volunteer_profile, agent[0])  # factory volunteers have no steps
