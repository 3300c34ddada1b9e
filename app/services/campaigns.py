"""Heat-wave and cold-wave campaigns: build the call list, record each call, close, export.

Creating a campaign builds its whole call list in one ``INSERT … SELECT``: every resident of
the territory whose request is open or paused and whose data was not erased, once. Each call
is then ticked by an agent (reached, not reached, visit needed, with a note). A call that
becomes "visit needed" also opens a high-severity concern, so the visit has an owner, a due
date and the escalation of every other concern.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Uuid, func, insert, literal, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import (
    PARIS,
    CallStatus,
    Campaign,
    CampaignCall,
    CampaignKind,
    Commune,
    ConcernSource,
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    Severity,
    Territory,
    User,
    utcnow,
)
from app.services import audit
from app.services.concerns import raise_concern
from app.services.errors import DomainError, InvalidTransition
from app.services.scope import residents_in

#: Requests whose residents are called: still followed, paused or not.
CALLED_REQUESTS = (RequestStatus.OPEN, RequestStatus.PAUSED)
#: What people read for the campaign codes (app.vocabulary has no campaign labels yet).
CAMPAIGN_KIND_LABELS = {CampaignKind.HEATWAVE: _l("Canicule"), CampaignKind.COLD: _l("Grand froid")}
CALL_STATUS_LABELS = {
    CallStatus.PENDING: _l("À appeler"), CallStatus.REACHED: _l("Joint·e"),
    CallStatus.NOT_REACHED: _l("Pas joint·e"), CallStatus.VISIT_NEEDED: _l("Visite nécessaire"),
}
#: Outcomes an agent may record.
OUTCOMES = (CallStatus.REACHED, CallStatus.NOT_REACHED, CallStatus.VISIT_NEEDED)
NAME_MAX = 120
NOTE_MAX = 500
#: A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class random_uuid(FunctionElement):
    """A random UUID computed by the database, so rows can be inserted by ``INSERT … SELECT``."""

    type = Uuid()
    inherit_cache = True


@compiles(random_uuid, "postgresql")
def _random_uuid_postgresql(element, compiler, **kw):
    return "gen_random_uuid()"


@compiles(random_uuid, "sqlite")
def _random_uuid_sqlite(element, compiler, **kw):
    # SQLite stores a UUID as 32 hex digits; 16 random bytes are as unique as a UUID4.
    return "lower(hex(randomblob(16)))"


def callable_residents(territory_id: uuid.UUID):
    """Ids of the territory's residents a campaign calls, as a SELECT."""
    return (
        select(ResidentProfile.id)
        .join(User, User.id == ResidentProfile.user_id)
        .where(residents_in(territory_id), ResidentProfile.status.in_(CALLED_REQUESTS),
               User.anonymised_at.is_(None))
    )


def create_campaign(territory: Territory | None, kind: CampaignKind, name: str | None,
                    by: User) -> Campaign:
    """Open a campaign on a territory and build its call list at once."""
    name = (name or "").strip()
    if territory is None:
        raise DomainError(_("Choisissez un territoire."), field="territory")
    if not name:
        raise DomainError(_("Donnez un nom à la campagne."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("Écrivez au plus %(n)s caractères.", n=NAME_MAX), field="name")
    running = db.session.scalar(
        select(Campaign.name).where(Campaign.territory_id == territory.id, Campaign.kind == kind,
                                    Campaign.closed_at.is_(None))
    )
    if running is not None:
        raise DomainError(_("La campagne « %(name)s » du même type est encore ouverte sur ce "
                            "territoire : clôturez-la d'abord.", name=running), field="kind")
    campaign = Campaign(kind=kind, name=name, territory_id=territory.id, created_by_id=by.id)
    db.session.add(campaign)
    db.session.flush()
    residents = callable_residents(territory.id).subquery()
    status_type = CampaignCall.__table__.c.status.type
    db.session.execute(
        insert(CampaignCall).from_select(
            ["id", "campaign_id", "resident_id", "status"],
            select(random_uuid(), literal(campaign.id, Uuid()), residents.c.id,
                   literal(CallStatus.PENDING, status_type)),
        )
    )
    calls = db.session.scalar(
        select(func.count()).select_from(CampaignCall)
        .where(CampaignCall.campaign_id == campaign.id)
    )
    audit.record("campaign.create", "campaign", campaign.id, actor=by, territory_id=territory.id,
                 kind=kind, calls=calls)
    return campaign


def _state_guard(campaign_id: uuid.UUID):
    """Condition: the call's campaign is still open."""
    return CampaignCall.campaign_id.in_(
        select(Campaign.id).where(Campaign.id == campaign_id, Campaign.closed_at.is_(None)))


def record_call(call: CampaignCall, status: CallStatus, note: str | None, by: User) -> CampaignCall:
    """Record the outcome of a call; the first "visit needed" opens a concern about the person."""
    if status not in OUTCOMES:
        raise DomainError(_("Choisissez le résultat de l'appel."), field="status")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise DomainError(_("Écrivez au plus %(n)s caractères.", n=NOTE_MAX), field="note")
    campaign = call.campaign
    if campaign.closed_at is not None:
        raise InvalidTransition(_("Cette campagne est close : les appels ne changent plus."))
    previous = call.status
    result = db.session.execute(
        update(CampaignCall)
        .where(CampaignCall.id == call.id, CampaignCall.status == previous,
               _state_guard(call.campaign_id))
        .values(status=status, note=note, called_by_id=by.id, called_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(campaign)
        db.session.refresh(call)
        if campaign.closed_at is not None:
            raise InvalidTransition(_("Cette campagne est close : les appels ne changent plus."))
        raise InvalidTransition(_("Un autre agent vient d'enregistrer cet appel. "
                                  "Relisez-le avant de le changer."))
    db.session.refresh(call)
    audit.record("campaign.call", "campaign", campaign.id, actor=by,
                 territory_id=campaign.territory_id, call=call.id, status=status)
    if status is CallStatus.VISIT_NEEDED and previous is not CallStatus.VISIT_NEEDED:
        _visit_needed(call, campaign, note, by)
    return call


def _visit_needed(call: CampaignCall, campaign: Campaign, note: str | None, by: User) -> None:
    resident = call.resident
    match = db.session.scalar(
        select(Match).where(Match.resident_id == resident.id, Match.status == MatchStatus.ACTIVE)
    )
    text = _("Campagne « %(name)s » : une visite est nécessaire.", name=campaign.name)
    if note:
        text = f"{text}\n{note}"
    raise_concern(by, ConcernSource.AGENT, text, resident=resident, match=match,
                  severity=Severity.HIGH)


def close_campaign(campaign: Campaign, by: User) -> Campaign:
    """Close a campaign: its list stays readable and exportable, and no longer changes."""
    result = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.closed_at.is_(None))
        .values(closed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(campaign)
    if result.rowcount != 1:
        raise InvalidTransition(_("Cette campagne est déjà close."))
    audit.record("campaign.close", "campaign", campaign.id, actor=by,
                 territory_id=campaign.territory_id)
    return campaign


@dataclass
class Progress:
    """How far a campaign's calls went."""

    counts: dict[CallStatus, int] = field(default_factory=lambda: {s: 0 for s in CallStatus})

    @property
    def total(self) -> int:
        """People on the list."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """People whose call has an outcome."""
        return self.total - self.counts[CallStatus.PENDING]

    @property
    def percent(self) -> int:
        """Share of the list with an outcome, rounded down (100 only when all are done)."""
        return self.done * 100 // self.total if self.total else 0


def progress_of(campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, Progress]:
    """The progress of several campaigns, in one aggregate query."""
    result = {cid: Progress() for cid in campaign_ids}
    if not campaign_ids:
        return result
    rows = db.session.execute(
        select(CampaignCall.campaign_id, CampaignCall.status, func.count())
        .where(CampaignCall.campaign_id.in_(campaign_ids))
        .group_by(CampaignCall.campaign_id, CampaignCall.status)
    )
    for campaign_id, status, n in rows:
        result[campaign_id].counts[status] = n
    return result


def _safe_cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def export_csv(campaign: Campaign, by: User) -> tuple[str, int]:
    """The call list as CSV for a spreadsheet (UTF-8 with BOM, ``;``), audited; (text, rows)."""
    from app.forms.fields import format_phone

    caller = aliased(User)
    rows = db.session.execute(
        select(User.last_name, User.first_name, User.phone, ResidentProfile.address,
               ResidentProfile.postcode, Commune.name, Neighbourhood.name, CampaignCall.status,
               CampaignCall.note, CampaignCall.called_at, caller.first_name, caller.last_name)
        .select_from(CampaignCall)
        .join(ResidentProfile, ResidentProfile.id == CampaignCall.resident_id)
        .join(User, User.id == ResidentProfile.user_id)
        .join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
        .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
        .outerjoin(caller, caller.id == CampaignCall.called_by_id)
        .where(CampaignCall.campaign_id == campaign.id)
        .order_by(func.lower(User.last_name), func.lower(User.first_name), CampaignCall.id)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Nom"), _("Prénom"), _("Téléphone"), _("Adresse"), _("Code postal"),
                     _("Commune"), _("Quartier"), _("Résultat"), _("Note"), _("Appelé le"),
                     _("Par")])
    for (last, first, phone, address, postcode, commune, neighbourhood, status, note, called_at,
         by_first, by_last) in rows:
        when = called_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if called_at else ""
        who = f"{by_first} {by_last}" if by_first else ""
        writer.writerow([_safe_cell(v) for v in (
            last, first, format_phone(phone), address, postcode, commune, neighbourhood,
            CALL_STATUS_LABELS[status], note, when, who)])
    audit.record("export.campaign", "campaign", campaign.id, actor=by,
                 territory_id=campaign.territory_id, rows=len(rows))
    return "\ufeff" + out.getvalue(), len(rows)
