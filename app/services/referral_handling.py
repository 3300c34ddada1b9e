"""An agent registers a resident (at the desk, by phone, or from a referral) and closes referrals.

A registration by an agent creates no login (no password) and records the consent as it was
given: by the person or a named relative, orally, in writing or on a signed form, on a given
day. A referral the agent handles ends in one of three ways, each audited: the person agreed
(a resident record is created and linked to the referral), could not be reached, or declined.
Each operation checks, changes rows, writes its audit entry and flushes; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    PARIS,
    Commune,
    ConsentMethod,
    ConsentRecord,
    Gender,
    Neighbourhood,
    Referral,
    ReferralStatus,
    ResidentProfile,
    User,
    VisitKind,
    utcnow,
)
from app.services import accounts, audit
from app.services.errors import DomainError, InvalidTransition

#: Consent an agent may record; "online" is only ever the person's own sign-up.
AGENT_CONSENT_METHODS = (ConsentMethod.ORAL, ConsentMethod.WRITTEN, ConsentMethod.SIGNED_FORM)
#: What a data-processing consent is about (as in :func:`accounts.register_resident`).
DATA_PROCESSING = "data_processing"
#: The referrer's statement that the person agreed to be contacted, kept as a consent of its own.
REFERRAL_CONTACT = "referral_contact"
#: How a referral may end without a resident record.
CLOSING_OUTCOMES = (ReferralStatus.UNREACHABLE, ReferralStatus.DECLINED)
GIVEN_BY_LENGTH = 160


@dataclass
class ConsentGiven:
    """How the person agreed to the processing of their data."""

    method: ConsentMethod
    given_on: date
    #: Who spoke for the person (e.g. "sa fille, Mme Durand"); None when it was the person.
    relative: str | None = None


@dataclass
class Registration:
    """What an agent collects to register a resident."""

    identity: accounts.Identity
    prefs: accounts.Preferences
    address: str
    postcode: str
    visit_kind: VisitKind
    volunteer_gender: Gender | None
    consent: ConsentGiven


def _paris_today() -> date:
    return utcnow().astimezone(PARIS).date()


def _given_at(day: date) -> datetime:
    """The moment to record for a consent given on ``day``: now if today, else noon that day."""
    if day == _paris_today():
        return utcnow()
    return datetime.combine(day, time(12, 0), tzinfo=PARIS)


def _territory_of_neighbourhood(neighbourhood_id) -> uuid.UUID | None:
    return db.session.scalar(select(Commune.territory_id).join(Neighbourhood)
                             .where(Neighbourhood.id == neighbourhood_id))


def _check(registration: Registration, territory_id: uuid.UUID | None) -> uuid.UUID | None:
    """The rules the forms check too; the service does not trust them. Returns the territory."""
    consent = registration.consent
    if consent.method not in AGENT_CONSENT_METHODS:
        raise DomainError(_("Choisissez comment l'accord a été donné."), field="consent_method")
    if consent.given_on > _paris_today():
        raise DomainError(_("La date ne peut pas être dans le futur."), field="consent_date")
    if consent.relative is not None and not consent.relative.strip():
        raise DomainError(_("Indiquez le nom du proche et son lien avec la personne."),
                          field="consent_relative")
    nb_territory = _territory_of_neighbourhood(registration.prefs.neighbourhood_id)
    exists = db.session.get(Neighbourhood, registration.prefs.neighbourhood_id) is not None
    if not exists or (territory_id is not None and nb_territory != territory_id):
        raise DomainError(_("Choisissez un quartier de votre territoire."), field="neighbourhood")
    return nb_territory


def register_for_resident(registration: Registration, agent: User,
                          territory_id: uuid.UUID | None) -> ResidentProfile:
    """Register a resident on their behalf, in ``territory_id`` (any territory when None).

    No login is created (an agent never sets a resident's password). The consent is recorded
    with the method, the day and who gave it.
    """
    record_territory = _check(registration, territory_id)
    registration.identity.password = None
    consent = registration.consent
    given_by = consent.relative.strip() if consent.relative else None
    user = accounts.register_resident(
        registration.identity, registration.prefs,
        address=registration.address, postcode=registration.postcode,
        visit_kind=registration.visit_kind, volunteer_gender=registration.volunteer_gender,
        registered_by=agent, consent_method=consent.method, consent_given_by=given_by,
    )
    record = db.session.scalar(select(ConsentRecord).where(
        ConsentRecord.user_id == user.id, ConsentRecord.purpose == DATA_PROCESSING))
    record.given_at = _given_at(consent.given_on)
    db.session.flush()
    profile = user.resident_profile
    audit.record("consent.record", "resident", profile.id, actor=agent,
                 territory_id=record_territory, purpose=DATA_PROCESSING, method=consent.method,
                 by_relative=given_by is not None)
    return profile


def territory_of_referral(referral: Referral) -> uuid.UUID | None:
    """The territory whose agents handle the referral (that of the person's commune)."""
    return db.session.scalar(select(Commune.territory_id)
                             .where(Commune.insee_code == referral.commune_insee))


def _claim(referral: Referral, agent: User, status: ReferralStatus, note: str | None,
           resident_user_id: uuid.UUID | None = None) -> None:
    """Move a pending referral to ``status``; refused when another agent handled it first."""
    if referral.status is not ReferralStatus.PENDING:
        raise InvalidTransition(_("Ce signalement a déjà été traité."))
    result = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.PENDING)
        .values(status=status, handled_by_id=agent.id, handled_at=utcnow(),
                outcome_note=note, resident_user_id=resident_user_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_("Ce signalement vient d'être traité par quelqu'un d'autre."))
    db.session.refresh(referral)


def convert_referral(referral: Referral, registration: Registration, agent: User,
                     note: str | None = None) -> ResidentProfile:
    """The person agreed on the phone: register them, link the record, mark the referral converted.

    Two consent records are kept: the referrer's statement that the person agreed to be
    contacted (online, through the public form, on the day of the referral), and the person's
    own consent to the processing of their data, as the agent recorded it.
    """
    territory_id = territory_of_referral(referral)
    if referral.status is not ReferralStatus.PENDING:
        raise InvalidTransition(_("Ce signalement a déjà été traité."))
    profile = register_for_resident(registration, agent, territory_id)
    user = profile.user
    from app.public.forms import (
        RELATIONS,  # the referrer's relation codes and their words
    )

    relation = dict(RELATIONS).get(referral.referrer_relation, referral.referrer_relation)
    referrer = f"{referral.referrer_name} ({relation})"[:GIVEN_BY_LENGTH]
    accounts.record_consent(user, REFERRAL_CONTACT, ConsentMethod.ONLINE, referrer,
                            recorded_by=agent, given_at=referral.created_at)
    _claim(referral, agent, ReferralStatus.CONVERTED, note, resident_user_id=user.id)
    audit.record("referral.convert", "referral", referral.id, actor=agent,
                 territory_id=territory_id, resident=profile.id)
    db.session.flush()
    return profile


def close_referral(referral: Referral, agent: User, outcome: ReferralStatus, note: str) -> Referral:
    """The person could not be reached, or does not want visits; the note says what was tried."""
    if outcome not in CLOSING_OUTCOMES:
        raise DomainError(_("Choisissez un résultat."), field="outcome")
    text = (note or "").strip()
    if not text:
        raise DomainError(_("Écrivez une courte note."), field="note")
    _claim(referral, agent, outcome, text)
    action = "referral.unreachable" if outcome is ReferralStatus.UNREACHABLE else "referral.decline"
    # The note stays on the referral: the audit log keeps codes only.
    audit.record(action, "referral", referral.id, actor=agent,
                 territory_id=territory_of_referral(referral))
    db.session.flush()
    return referral
