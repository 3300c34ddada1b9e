"""Every allowed and refused transition of a pair, with its audit entry and notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Match,
    MatchStatus,
    OutboxMessage,
    Visit,
    VisitStatus,
    VolunteerStatus,
    utcnow,
)
from app.services import matching, pairs, visits
from app.services.errors import DomainError, InvalidTransition
from tests import factories

S = MatchStatus


@pytest.fixture
def proposal(place, agent):
    """A resident and a volunteer of territory A, and the engine's proposal for them."""
    resident, _ = factories.make_resident(place.nb_a)
    volunteer, _ = factories.make_volunteer(place.nb_a)
    matching.run_matching(place.territory_a)
    db.session.commit()
    return db.session.scalar(select(Match)), resident, volunteer, agent[0]


def _active(proposal):
    match, resident, volunteer, agent = proposal
    pairs.approve(match, agent)
    pairs.accept(match, volunteer)
    db.session.commit()
    return match


def _actions() -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "match").order_by(AuditEntry.id)))


def _messages(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_approve_then_accept_makes_an_active_pair(proposal):
    match, resident, volunteer, agent = proposal
    pairs.approve(match, agent)
    assert match.status is S.APPROVED and match.decided_by_id == agent.id
    assert [m.user_id for m in _messages("match_proposed")] == [volunteer.id]
    pairs.accept(match, volunteer)
    db.session.commit()
    assert match.status is S.ACTIVE and match.accepted_at is not None
    assert [m.user_id for m in _messages("match_approved")] == [resident.id]
    assert _actions() == ["match.approve", "match.accept"]


@pytest.mark.parametrize("status", [S.APPROVED, S.ACTIVE, S.REJECTED, S.DECLINED, S.ENDED, S.WITHDRAWN])
def test_only_a_proposal_can_be_approved_or_rejected(proposal, status):
    match, _, _, agent = proposal
    match.status = status
    db.session.commit()
    with pytest.raises(InvalidTransition):
        pairs.approve(match, agent)
    with pytest.raises(InvalidTransition):
        pairs.reject(match, agent, "non")
    assert match.status is status


def test_a_volunteer_cannot_accept_what_no_agent_approved(proposal):
    match, _, volunteer, _ = proposal
    with pytest.raises(InvalidTransition):
        pairs.accept(match, volunteer)
    assert match.status is S.PROPOSED


def test_a_withdrawn_proposal_cannot_be_accepted(proposal):
    match, resident, volunteer, agent = proposal
    pairs.approve(match, agent)
    pairs.withdraw_live(resident.resident_profile, actor=agent, reason="pause")
    db.session.commit()
    assert match.status is S.WITHDRAWN
    with pytest.raises(InvalidTransition) as refused:
        pairs.accept(match, volunteer)
    assert "retirée" in refused.value.message


def test_reject_and_decline_exclude_the_pair_for_ever(proposal, place):
    match, _, volunteer, agent = proposal
    pairs.approve(match, agent)
    pairs.decline(match, volunteer, "trop loin")
    db.session.commit()
    assert match.status is S.DECLINED and match.status_reason == "trop loin"
    assert matching.run_matching(place.territory_a).matched == 0


def test_approving_a_volunteer_no_longer_approved_is_refused(proposal):
    match, _, volunteer, agent = proposal
    volunteer.volunteer_profile.status = VolunteerStatus.SUSPENDED
    db.session.commit()
    with pytest.raises(DomainError):
        pairs.approve(match, agent)
    assert match.status is S.PROPOSED


def test_pause_resume_and_end(proposal):
    match = _active(proposal)
    _, resident, volunteer, agent = proposal
    pairs.pause(match, volunteer, "vacances")
    assert match.status is S.PAUSED
    with pytest.raises(InvalidTransition):
        pairs.pause(match, volunteer, "encore")
    pairs.resume(match, volunteer)
    assert match.status is S.ACTIVE
    before = resident.resident_profile.waiting_since
    pairs.end(match, resident, "déménagement")
    db.session.commit()
    assert match.status is S.ENDED and match.closed_by_role == "resident"
    assert resident.resident_profile.waiting_since > before
    with pytest.raises(InvalidTransition):
        pairs.resume(match, volunteer)


def test_ending_a_pair_cancels_its_visits_to_come(proposal):
    match = _active(proposal)
    _, _, volunteer, _ = proposal
    planned = visits.schedule(match, volunteer, _next_monday_10h(), weeks=3)
    db.session.commit()
    pairs.end(match, volunteer, "fin")
    db.session.commit()
    statuses = {db.session.get(Visit, v.id).status for v in planned}
    assert statuses == {VisitStatus.CANCELLED}


def test_choose_another_candidate_withdraws_the_proposal(proposal, place):
    match, resident, first, agent = proposal
    second, _ = factories.make_volunteer(place.nb_a, first="Second")
    chosen = pairs.choose_candidate(resident.resident_profile, second.volunteer_profile.id, agent)
    db.session.commit()
    assert match.status is S.WITHDRAWN
    assert chosen.status is S.APPROVED and chosen.volunteer_id == second.volunteer_profile.id
    assert chosen.score > 0 and chosen.shared_interests == ["reading"]


def test_choose_refuses_an_impossible_candidate(proposal, place):
    _, resident, _, agent = proposal
    far, _ = factories.make_volunteer(place.nb_b, first="Loin")
    with pytest.raises(DomainError):
        pairs.choose_candidate(resident.resident_profile, far.volunteer_profile.id, agent)


def test_capacity_is_never_exceeded(place, agent):
    volunteer, _ = factories.make_volunteer(place.nb_a)
    volunteer.volunteer_profile.capacity = 1
    first, _ = factories.make_resident(place.nb_a, first="Une")
    second, _ = factories.make_resident(place.nb_a, first="Deux")
    db.session.commit()
    pairs.choose_candidate(first.resident_profile, volunteer.volunteer_profile.id, agent[0])
    db.session.commit()
    with pytest.raises(DomainError):
        pairs.choose_candidate(second.resident_profile, volunteer.volunteer_profile.id, agent[0])
    live = db.session.scalar(select(func.count()).select_from(Match).where(Match.status.in_(S.live())))
    assert live == 1


def test_one_live_pair_per_resident_is_enforced_by_the_database(proposal):
    match, _, volunteer, _ = proposal
    db.session.add(Match(resident_id=match.resident_id, volunteer_id=volunteer.volunteer_profile.id,
                         status=S.PROPOSED))
    with pytest.raises(Exception) as error:
        db.session.commit()
    assert "uq_matches_live_resident" in str(error.value) or "UNIQUE" in str(error.value)
    db.session.rollback()


def test_the_volunteer_sees_the_address_only_while_the_pair_is_accepted(proposal):
    match, _, volunteer, agent = proposal
    assert not pairs.shows_resident_contact(match)
    pairs.approve(match, agent)
    assert not pairs.shows_resident_contact(match)
    pairs.accept(match, volunteer)
    assert pairs.shows_resident_contact(match)
    pairs.end(match, volunteer, "fin")
    assert not pairs.shows_resident_contact(match)


def _next_monday_10h() -> datetime:
    today = (utcnow() + timedelta(days=1)).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    return datetime(monday.year, monday.month, monday.day, 10, 0)
