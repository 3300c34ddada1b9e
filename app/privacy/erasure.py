"""Erasure: a person's live pairs end, their sessions end, their personal columns are anonymised.

What stays: the rows themselves with their states, dates, neighbourhood, slots and moods (the
collectivité's statistics count them) and the audit trail, which holds ids and codes only, never
a name. The user row is kept, anonymised and unable to log in, so those ids still point somewhere.

Every operation is conditional, so two erasures of the same person at once (the person and the
retention job, or two retention jobs) do the work once: the first to set ``anonymised_at`` wins.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.forms.fields import format_phone
from app.models import (
    CampaignCall,
    Commune,
    Concern,
    ConcernNote,
    ConsentRecord,
    Match,
    MatchStatus,
    Neighbourhood,
    OutboxMessage,
    OutboxStatus,
    PasswordResetToken,
    Referral,
    RequestStatus,
    ResidentProfile,
    User,
    UserSession,
    VettingStep,
    Visit,
    VisitLog,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.services import audit, outbox, pairs
from app.services.scope import territory_of_neighbourhood

#: What an anonymised person is called wherever a name must be printed.
ANONYMOUS = "Anonyme"
#: Reason code written on the pairs an erasure ends (the volunteer may read it: a code, no words).
PAIR_REASON = "person_erased"


def erase(user: User, actor: User, *, by: str) -> bool:
    """Erase ``user`` at their request ("self") or an agent's ("agent"); False if done already.

    ``actor`` is who acted: the person, or the agent.
    """
    now = utcnow()
    if not claim([user.id], now):
        db.session.refresh(user)
        return False
    territory = _territory(user)
    end_sessions([user.id], now)
    scrub([user.id], now, mentions=True)  # first: the pairs ended below keep their reason code
    ended = _end_engagement(user, actor, now)
    db.session.refresh(user)
    audit.record("person.erase", "user", user.id, actor=actor, territory_id=territory,
                 role=user.role, by=by, pairs_closed=ended)
    db.session.flush()
    return True


def erase_expired(user_ids: list[uuid.UUID]) -> int:
    """The retention job erases people whose request or engagement closed long ago: no live
    pair, nobody to tell, and every message that mentioned them purged with the year's logs.
    Returns how many this call erased (another run may have claimed some)."""
    now = utcnow()
    claimed = claim(user_ids, now)
    if not claimed:
        return 0
    end_sessions(claimed, now)
    scrub(claimed, now, mentions=False)
    roles = dict(db.session.execute(select(User.id, User.role).where(User.id.in_(claimed))).all())
    territories = _territories(claimed)
    for user_id in claimed:
        audit.record("person.erase", "user", user_id, actor=None, anonymous_role="system",
                     territory_id=territories.get(user_id), role=roles[user_id], by="retention",
                     pairs_closed=0)
    db.session.flush()
    return len(claimed)


def claim(user_ids: list[uuid.UUID], now: datetime) -> list[uuid.UUID]:
    """Mark people erased, if nobody did yet; the ids this call marked (the others are taken)."""
    return list(db.session.scalars(
        update(User).where(User.id.in_(user_ids), User.anonymised_at.is_(None))
        .values(anonymised_at=now, is_enabled=False, updated_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ))


def end_sessions(user_ids: list[uuid.UUID], now: datetime) -> None:
    """Every session ends and every reset link dies: the account is closed at once."""
    db.session.execute(update(UserSession).where(UserSession.user_id.in_(user_ids),
                                                 UserSession.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id.in_(user_ids),
                                                        PasswordResetToken.used_at.is_(None))
                       .values(used_at=now))


def _territories(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    """Each person's territory, through their profile's neighbourhood."""
    found: dict[uuid.UUID, uuid.UUID | None] = {}
    for profile in (ResidentProfile, VolunteerProfile):
        found.update(db.session.execute(
            select(profile.user_id, Commune.territory_id)
            .join(Neighbourhood, Neighbourhood.id == profile.neighbourhood_id)
            .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
            .where(profile.user_id.in_(user_ids))).all())
    return found


def _territory(user: User) -> uuid.UUID | None:
    profile = user.resident_profile or user.volunteer_profile
    if profile is not None:
        return territory_of_neighbourhood(profile.neighbourhood_id)
    return user.territory_id


def _end_engagement(user: User, actor: User, now: datetime) -> int:
    """Close the request (or the volunteer's engagement) and its live pairs; tell the other side."""
    resident, volunteer = user.resident_profile, user.volunteer_profile
    if resident is None and volunteer is None:
        return 0
    live = list(db.session.scalars(select(Match).where(
        Match.status.in_(MatchStatus.live()),
        Match.resident_id == resident.id if resident else Match.volunteer_id == volunteer.id)))
    told = [_other_side(match, user) for match in live if _knows(match, user)]
    if resident is not None:
        closed = pairs.withdraw_live(resident, actor=actor, reason=PAIR_REASON)
        db.session.execute(update(ResidentProfile).where(
            ResidentProfile.id == resident.id, ResidentProfile.status != RequestStatus.CLOSED)
            .values(status=RequestStatus.CLOSED, status_changed_at=now))
    else:
        closed = pairs.withdraw_live(volunteer=volunteer, actor=actor, reason=PAIR_REASON)
        db.session.execute(update(VolunteerProfile).where(
            VolunteerProfile.id == volunteer.id, VolunteerProfile.status != VolunteerStatus.LEFT)
            .values(status=VolunteerStatus.LEFT, status_changed_at=now))
    for other in told:
        outbox.notify(other, "pair_ended", _l("Une mise en relation a pris fin"), "pair_ended")
    return closed


def _knows(match: Match, leaving: User) -> bool:
    """Whether the other side was told of the pair: the volunteer from approval, the resident
    from the volunteer's acceptance."""
    if leaving.resident_profile is not None:
        return match.status is not MatchStatus.PROPOSED
    return match.status in (MatchStatus.ACTIVE, MatchStatus.PAUSED)


def _other_side(match: Match, leaving: User) -> User:
    return match.volunteer.user if leaving.resident_profile is not None else match.resident.user


def scrub(user_ids: list[uuid.UUID], now: datetime, *, mentions: bool) -> None:
    """Blank every personal column of the people and of the rows that are theirs; with
    ``mentions``, also the messages to others that carry their phone or e-mail."""
    run = db.session.execute
    if mentions:
        for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
            _scrub_messages_mentioning(user)
    run(update(User).where(User.id.in_(user_ids)).values(
        email=None, password_hash=None, first_name=ANONYMOUS, last_name="", phone=None,
        is_enabled=False))
    residents = select(ResidentProfile.id).where(ResidentProfile.user_id.in_(user_ids))
    volunteers = select(VolunteerProfile.id).where(VolunteerProfile.user_id.in_(user_ids))
    run(update(ResidentProfile).where(ResidentProfile.user_id.in_(user_ids))
        .values(address="", status_reason=None))
    run(update(VolunteerProfile).where(VolunteerProfile.user_id.in_(user_ids))
        .values(status_reason=None, calendar_token=None))
    run(update(VettingStep).where(VettingStep.volunteer_id.in_(volunteers)).values(detail=None))
    run(update(ConsentRecord).where(ConsentRecord.user_id.in_(user_ids))
        .values(given_by="", withdrawn_at=func.coalesce(ConsentRecord.withdrawn_at, now)))
    matches = select(Match.id).where(or_(Match.resident_id.in_(residents),
                                         Match.volunteer_id.in_(volunteers)))
    scrub_pairs(matches)
    concerns = select(Concern.id).where(or_(Concern.resident_id.in_(residents),
                                            Concern.volunteer_id.in_(volunteers)))
    scrub_concerns(concerns)
    run(update(CampaignCall).where(CampaignCall.resident_id.in_(residents)).values(note=None))
    scrub_referrals(Referral.resident_user_id.in_(user_ids))
    mine = OutboxMessage.user_id.in_(user_ids)
    run(update(OutboxMessage).where(mine).values(recipient="", body=""))
    run(update(OutboxMessage).where(mine, OutboxMessage.status.in_([OutboxStatus.PENDING,
                                                                     OutboxStatus.SENDING]))
        .values(status=OutboxStatus.FAILED, last_error="recipient erased"))


def _scrub_messages_mentioning(user: User) -> None:
    """Messages to others that carry the person's phone or e-mail (a volunteer's number sent to
    their resident) lose their body; those not sent yet never will be."""
    marks = [m for m in (user.email, user.phone, format_phone(user.phone)) if m]
    if not marks:
        return
    mentions = or_(*(OutboxMessage.body.contains(mark) for mark in marks))
    db.session.execute(update(OutboxMessage).where(
        mentions, OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .values(status=OutboxStatus.FAILED, last_error="mentions an erased person"))
    db.session.execute(update(OutboxMessage).where(mentions).values(body=""))


def scrub_pairs(match_ids) -> None:
    """Blank the words written on some pairs: their reason, visits' cancel reasons, visit notes."""
    db.session.execute(update(Match).where(Match.id.in_(match_ids)).values(status_reason=None))
    visits = select(Visit.id).where(Visit.match_id.in_(match_ids))
    db.session.execute(update(Visit).where(Visit.id.in_(visits)).values(cancel_reason=None))
    db.session.execute(update(VisitLog).where(VisitLog.visit_id.in_(visits)).values(note=None))


def scrub_concerns(concern_ids) -> None:
    """Blank the words of some concerns and of their notes (the states and dates stay)."""
    db.session.execute(update(Concern).where(Concern.id.in_(concern_ids)).values(description=""))
    db.session.execute(update(ConcernNote).where(ConcernNote.concern_id.in_(concern_ids))
                       .values(body=""))


def scrub_referrals(condition) -> int:
    """Blank who was signalled and who signalled them; the commune, relation and outcome stay."""
    return db.session.execute(
        update(Referral).where(condition, Referral.first_name != ANONYMOUS).values(
            first_name=ANONYMOUS, last_name="", phone=None, email=None, address="", reason="",
            referrer_name="", referrer_phone=None, referrer_email=None, outcome_note=None)
        .execution_options(synchronize_session=False)
    ).rowcount
