"""A resident and a volunteer with a row in every table linked to a person, with values to hunt.

Every free text, phone, address and e-mail is distinctive, so a test can search a page, an
export or the database for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import (
    Campaign,
    CampaignCall,
    CampaignKind,
    Channel,
    Concern,
    ConcernNote,
    ConcernSource,
    ConsentRecord,
    Match,
    MatchingRun,
    MatchStatus,
    Mood,
    OutboxMessage,
    PasswordResetToken,
    Referral,
    ReferralStatus,
    Setting,
    User,
    VettingKind,
    VettingStep,
    Visit,
    VisitLog,
    VisitStatus,
    paris_today,
    utcnow,
)
from app.services import audit
from tests import factories

#: What the resident and the volunteer said or are: none of it may survive an erasure.
RESIDENT_SECRETS = {
    "first_name": "Philomène", "last_name": "Zarkovitch", "email": "philomene.z@example.org",
    "phone": "+33536490101", "address": "7 impasse des Glycines-Bleues",
}
VOLUNTEER_SECRETS = {
    "first_name": "Barnabé", "last_name": "Quintanilla", "email": "barnabe.q@example.org",
    "phone": "+33536490202",
}
#: The volunteer's phone as the e-mails print it.
VOLUNTEER_SHOWN_PHONE = "05 36 49 02 02"
TEXTS = {
    "request_reason": "raison-fermeture-xq1", "match_reason": "raison-binome-xq2",
    "cancel_reason": "annulation-xq3", "visit_note": "note-visite-xq4",
    "concern": "inquietude-xq5", "concern_note": "note-alerte-xq6", "call_note": "appel-xq7",
    "referral_reason": "signalement-xq8", "referrer": "Rosalinde Vermeer", "vetting": "cni-xq9",
    "consent_by": "sa-fille-xq10", "outbox_body": "corps-message-xq11",
}


@dataclass
class World:
    """The people and their shared rows."""

    resident: User
    volunteer: User
    agent: User
    match: Match
    visit: Visit
    concern: Concern
    referral: Referral


def build(place, agent: User) -> World:
    """An active pair with a past visit and its log, a concern with a note, a campaign call, a
    referral that became the resident, a vetting step, messages, a reset token, audit entries."""
    resident, _ = factories.make_resident(place.nb_a, first=RESIDENT_SECRETS["first_name"])
    volunteer, _ = factories.make_volunteer(place.nb_a, first=VOLUNTEER_SECRETS["first_name"])
    for user, values in ((resident, RESIDENT_SECRETS), (volunteer, VOLUNTEER_SECRETS)):
        user.last_name, user.email, user.phone = values["last_name"], values["email"], values["phone"]
    profile, vprofile = resident.resident_profile, volunteer.volunteer_profile
    profile.address = RESIDENT_SECRETS["address"]
    profile.status_reason = TEXTS["request_reason"]
    vprofile.calendar_token = "k" * 43
    now = utcnow()
    run = MatchingRun(started_at=now, run_by_id=agent.id, weights={})
    db.session.add(run)
    db.session.flush()
    match = Match(resident_id=profile.id, volunteer_id=vprofile.id, status=MatchStatus.ACTIVE,
                  run_id=run.id, decided_by_id=agent.id, decided_at=now - timedelta(days=40),
                  accepted_at=now - timedelta(days=39), status_reason=TEXTS["match_reason"])
    db.session.add(match)
    db.session.flush()
    visit = Visit(match_id=match.id, starts_at=now - timedelta(days=7), status=VisitStatus.DONE,
                  scheduled_by_id=volunteer.id)
    future = Visit(match_id=match.id, starts_at=now + timedelta(days=7),
                   status=VisitStatus.SCHEDULED, scheduled_by_id=volunteer.id)
    cancelled = Visit(match_id=match.id, starts_at=now - timedelta(days=14),
                      status=VisitStatus.CANCELLED, cancelled_by_id=resident.id,
                      cancelled_at=now - timedelta(days=15), cancel_reason=TEXTS["cancel_reason"])
    db.session.add_all([visit, future, cancelled])
    db.session.flush()
    db.session.add(VisitLog(visit_id=visit.id, mood=Mood.GOOD, note=TEXTS["visit_note"],
                            logged_at=now - timedelta(days=7), logged_by_id=volunteer.id))
    concern = Concern(resident_id=profile.id, match_id=match.id, visit_id=visit.id,
                      source=ConcernSource.VOLUNTEER, raised_by_id=volunteer.id, owner_id=agent.id,
                      description=TEXTS["concern"], due_at=now + timedelta(days=3))
    campaign = Campaign(kind=CampaignKind.HEATWAVE, name="Canicule", territory_id=place.territory_a.id,
                        created_by_id=agent.id)
    referral = Referral(first_name=RESIDENT_SECRETS["first_name"], last_name="Z", phone=RESIDENT_SECRETS["phone"],
                        commune_insee="64445", reason=TEXTS["referral_reason"], person_agreed=True,
                        referrer_name=TEXTS["referrer"], referrer_relation="family",
                        referrer_email="rosalinde@example.org", status=ReferralStatus.CONVERTED,
                        handled_by_id=agent.id, handled_at=now, resident_user_id=resident.id)
    db.session.add_all([concern, campaign, referral])
    db.session.flush()
    db.session.add_all([
        ConcernNote(concern_id=concern.id, author_id=agent.id, body=TEXTS["concern_note"],
                    created_at=now),
        CampaignCall(campaign_id=campaign.id, resident_id=profile.id, note=TEXTS["call_note"],
                     called_by_id=agent.id, called_at=now),
        VettingStep(volunteer_id=vprofile.id, kind=VettingKind.IDENTITY, done_on=paris_today(),
                    recorded_by_id=agent.id, detail=TEXTS["vetting"], created_at=now),
        PasswordResetToken(user_id=resident.id, token_hash="f" * 64, created_at=now,
                           expires_at=now + timedelta(minutes=30)),
        Setting(key="privacy_test", value={}, updated_at=now, updated_by_id=agent.id),
    ])
    for user in (resident, volunteer):
        db.session.add(OutboxMessage(created_at=now, channel=Channel.EMAIL, kind="test",
                                     user_id=user.id, recipient=user.email, subject="Sujet",
                                     body=TEXTS["outbox_body"], next_attempt_at=now))
    db.session.add(OutboxMessage(  # the volunteer's number, sent to the resident
        created_at=now, channel=Channel.EMAIL, kind="match_approved", user_id=resident.id,
        recipient=resident.email, subject="Sujet", body=f"Appelez le {VOLUNTEER_SHOWN_PHONE}",
        next_attempt_at=now))
    audit.record("test.resident", "resident", profile.id, actor=resident)
    db.session.execute(update(ConsentRecord).where(ConsentRecord.user_id == resident.id)
                       .values(given_by=TEXTS["consent_by"]))
    db.session.commit()
    return World(resident, volunteer, agent, match, visit, concern, referral)
