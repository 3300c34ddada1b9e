"""The life of a pair: approve, reject, pick another candidate, accept, decline, pause, resume, end.

Every transition is a conditional UPDATE (``WHERE status IN (allowed)``): when two people act at
once on the same pair, exactly one wins and the other gets :class:`InvalidTransition`. Each one
writes its audit entry and its notifications in the same transaction; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app import matching
from app.extensions import db
from app.models import (
    Match,
    MatchStatus,
    ResidentProfile,
    Role,
    User,
    Visit,
    VisitStatus,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.models.availability import mask_from_slots
from app.services import audit, outbox
from app.services.errors import DomainError, InvalidTransition
from app.services.matching import ranked_candidates
from app.services.scope import territory_of_resident

S = MatchStatus


def _transition(match: Match, allowed: Iterable[MatchStatus], new: MatchStatus, actor: User,
                action: str, **values) -> Match:
    """Move ``match`` to ``new`` if it is still in an ``allowed`` state, else refuse."""
    allowed = tuple(allowed)
    result = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status.in_(allowed))
        .values(status=new, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(match)
        raise InvalidTransition(
            _("Cette mise en relation a changé entre-temps (elle est maintenant : %(state)s). "
              "Rechargez la page.", state=_state_label(match.status))
        )
    db.session.refresh(match)
    audit.record(action, "match", match.id, actor=actor,
                 territory_id=territory_of_resident(match.resident),
                 **{"from": [s.value for s in allowed], "to": new.value})
    return match


def _state_label(status: MatchStatus) -> str:
    from app.vocabulary import MATCH_STATUS_LABELS

    return str(MATCH_STATUS_LABELS[status]).lower()


def _lock_volunteer(volunteer_id: uuid.UUID) -> VolunteerProfile:
    """Serialise capacity checks on one volunteer (row lock on PostgreSQL; SQLite has one writer)."""
    return db.session.execute(
        select(VolunteerProfile).where(VolunteerProfile.id == volunteer_id).with_for_update()
    ).scalar_one()


def live_count(volunteer_id: uuid.UUID) -> int:
    """Places of a volunteer's capacity in use."""
    return db.session.scalar(
        select(func.count()).select_from(Match)
        .where(Match.volunteer_id == volunteer_id, Match.status.in_(S.live()))
    ) or 0


def approve(match: Match, agent: User) -> Match:
    """An agent approves a proposal: the volunteer is asked to accept it."""
    volunteer = _lock_volunteer(match.volunteer_id)
    if volunteer.status is not VolunteerStatus.APPROVED:
        raise DomainError(_("Ce bénévole n'est plus validé : choisissez un autre candidat."))
    _transition(match, [S.PROPOSED], S.APPROVED, agent, "match.approve",
                decided_by_id=agent.id, decided_at=utcnow())
    outbox.notify(volunteer.user, "match_proposed", _l("Une personne vous est proposée"),
                  "match_proposed")
    return match


def reject(match: Match, agent: User, reason: str) -> Match:
    """An agent rejects a proposal; the pair will never be proposed again."""
    return _transition(match, [S.PROPOSED], S.REJECTED, agent, "match.reject",
                       decided_by_id=agent.id, decided_at=utcnow(), status_reason=reason,
                       closed_by_role=Role.AGENT.value)


def choose_candidate(resident: ResidentProfile, volunteer_id: uuid.UUID, agent: User) -> Match:
    """An agent picks a volunteer from the ranked list by hand: that pair is approved at once.

    The resident's pending proposal, if any, is withdrawn (not refused: the pair stays possible).
    """
    pair = next((p for p in ranked_candidates(resident) if p.volunteer == str(volunteer_id)), None)
    if pair is None:
        raise DomainError(_("Ce bénévole ne peut pas être proposé à cette personne."))
    volunteer = _lock_volunteer(volunteer_id)
    current = db.session.scalar(
        select(Match).where(Match.resident_id == resident.id, Match.status.in_(S.live()))
    )
    if current is not None and current.status is not S.PROPOSED:
        raise DomainError(_("Cette personne a déjà un ou une bénévole."))
    if current is not None:
        _transition(current, [S.PROPOSED], S.WITHDRAWN, agent, "match.withdraw",
                    status_reason="other_candidate_chosen", closed_by_role=Role.AGENT.value)
        db.session.flush()
    if live_count(volunteer.id) >= volunteer.capacity:
        raise DomainError(_("Ce bénévole n'a plus de place."))
    match = _new_match(pair, S.APPROVED)
    match.decided_by_id, match.decided_at = agent.id, utcnow()
    db.session.add(match)
    db.session.flush()
    audit.record("match.choose", "match", match.id, actor=agent,
                 territory_id=territory_of_resident(resident), to=S.APPROVED.value)
    outbox.notify(volunteer.user, "match_proposed", _l("Une personne vous est proposée"),
                  "match_proposed")
    return match


def _new_match(pair: matching.Pair, status: MatchStatus) -> Match:
    return Match(
        resident_id=uuid.UUID(pair.resident), volunteer_id=uuid.UUID(pair.volunteer),
        status=status, score=pair.score, part_waiting=pair.parts.waiting,
        part_distance=pair.parts.distance, part_slots=pair.parts.slots,
        part_interests=pair.parts.interests, distance_km=pair.distance_km,
        shared_slots=mask_from_slots(pair.shared_slots),
        shared_interests=sorted(pair.shared_interests),
    )


def accept(match: Match, volunteer: User) -> Match:
    """The volunteer accepts: the pair is active and each learns how to reach the other."""
    _transition(match, [S.APPROVED], S.ACTIVE, volunteer, "match.accept", accepted_at=utcnow())
    outbox.notify(match.resident.user, "match_approved", _l("Un·e bénévole va vous rendre visite"),
                  "match_approved", volunteer=volunteer)
    return match


def decline(match: Match, volunteer: User, reason: str) -> Match:
    """The volunteer declines; the resident waits for another proposal."""
    return _transition(match, [S.APPROVED], S.DECLINED, volunteer, "match.decline",
                       status_reason=reason, closed_by_role=Role.VOLUNTEER.value)


def pause(match: Match, actor: User, reason: str) -> Match:
    """Pause an active pair (holidays, hospital…); visits to come are cancelled."""
    _transition(match, [S.ACTIVE], S.PAUSED, actor, "match.pause", status_reason=reason)
    _cancel_future_visits(match, actor, "pair_paused")
    return match


def resume(match: Match, actor: User) -> Match:
    """Resume a paused pair."""
    return _transition(match, [S.PAUSED], S.ACTIVE, actor, "match.resume", status_reason=None)


def end(match: Match, actor: User, reason: str) -> Match:
    """End a pair for good; the volunteer loses access to the address, the resident waits again."""
    _transition(match, [S.ACTIVE, S.PAUSED, S.APPROVED], S.ENDED, actor, "match.end",
                ended_at=utcnow(), status_reason=reason, closed_by_role=actor.role.value)
    _cancel_future_visits(match, actor, "pair_ended")
    resident = match.resident
    resident.waiting_since = utcnow()
    return match


def withdraw_live(resident: ResidentProfile | None = None,
                  volunteer: VolunteerProfile | None = None, *, actor: User, reason: str) -> int:
    """Close every live pair of a person who paused, closed, left or was suspended."""
    stmt = select(Match).where(Match.status.in_(S.live()))
    stmt = stmt.where(Match.resident_id == resident.id) if resident else stmt.where(
        Match.volunteer_id == volunteer.id)
    count = 0
    for match in db.session.scalars(stmt):
        if match.status in (S.ACTIVE, S.PAUSED):
            end(match, actor, reason)
        else:
            _transition(match, [match.status], S.WITHDRAWN, actor, "match.withdraw",
                        status_reason=reason, closed_by_role=actor.role.value)
        count += 1
    return count


def _cancel_future_visits(match: Match, actor: User, reason: str) -> None:
    db.session.execute(
        update(Visit)
        .where(Visit.match_id == match.id, Visit.status == VisitStatus.SCHEDULED,
               Visit.starts_at > utcnow())
        .values(status=VisitStatus.CANCELLED, cancelled_at=utcnow(), cancelled_by_id=actor.id,
                cancel_reason=reason)
        .execution_options(synchronize_session=False)
    )


def shows_resident_contact(match: Match | None) -> bool:
    """PRODUCT.md §3: the volunteer sees the address and phone only while the pair is accepted."""
    return match is not None and match.status in (S.ACTIVE, S.PAUSED)
