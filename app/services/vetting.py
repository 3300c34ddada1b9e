"""Vetting of volunteers, driven by agents: dated, attributed steps and the decisions they allow.

States: applied -> in review -> approved | rejected; approved -> suspended -> approved; any -> left.
Only approved volunteers are ever proposed. A volunteer is approved only when every step is
done and none has expired (the criminal record extract expires after 12 months).
"""

from __future__ import annotations

import calendar
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import (
    User,
    VettingKind,
    VettingStep,
    VolunteerProfile,
    VolunteerStatus,
    paris_today,
    utcnow,
)
from app.services import audit, outbox, pairs, vetting_summary  # noqa: F401 (keeps next_expiry)
from app.services.errors import DomainError, InvalidTransition
from app.services.scope import territory_of_volunteer

V = VolunteerStatus
#: Default validity of a step in months, when it has one (PRODUCT.md: the extract, 12 months).
VALIDITY_MONTHS = {VettingKind.CRIMINAL_RECORD: 12}
#: Which states each decision may start from.
ALLOWED = {
    "start_review": (V.APPLIED,),
    "approve": (V.IN_REVIEW, V.APPLIED),
    "reject": (V.APPLIED, V.IN_REVIEW),
    "suspend": (V.APPROVED,),
    "reinstate": (V.SUSPENDED,),
    "leave": (V.APPLIED, V.IN_REVIEW, V.APPROVED, V.SUSPENDED, V.REJECTED),
}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter: 29 Feb -> 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_steps(volunteer: VolunteerProfile) -> dict[VettingKind, VettingStep | None]:
    """The latest step of each kind (a step redone later replaces the earlier one)."""
    latest: dict[VettingKind, VettingStep | None] = {kind: None for kind in VettingKind}
    rows = db.session.scalars(
        select(VettingStep).where(VettingStep.volunteer_id == volunteer.id)
        .order_by(VettingStep.done_on, VettingStep.created_at)
    )
    for step in rows:
        latest[step.kind] = step
    return latest


def is_expired(step: VettingStep | None, today: date | None = None) -> bool:
    """Whether a step has passed its expiry day."""
    today = today or paris_today()
    return step is not None and step.expires_on is not None and step.expires_on < today


def missing_steps(volunteer: VolunteerProfile, today: date | None = None) -> list[VettingKind]:
    """Steps not done yet, or expired; the charter counts as done from sign-up."""
    steps = current_steps(volunteer)
    missing = []
    for kind, step in steps.items():
        if kind is VettingKind.CHARTER and step is None and volunteer.charter_accepted_at:
            continue
        if step is None or is_expired(step, today):
            missing.append(kind)
    return missing


def record_step(volunteer: VolunteerProfile, kind: VettingKind, agent: User, *,
                done_on: date, expires_on: date | None = None, detail: str | None = None) -> VettingStep:
    """Record a step done on ``done_on``; its validity defaults to the kind's (12 months for the extract)."""
    if done_on > paris_today():
        raise DomainError(_("La date ne peut pas être dans le futur."), field="done_on")
    if expires_on is None and kind in VALIDITY_MONTHS:
        expires_on = add_months(done_on, VALIDITY_MONTHS[kind])
    if expires_on is not None and expires_on < done_on:
        raise DomainError(_("L'expiration doit suivre la date de l'étape."), field="expires_on")
    step = VettingStep(volunteer_id=volunteer.id, kind=kind, done_on=done_on, expires_on=expires_on,
                       recorded_by_id=agent.id, detail=detail, created_at=utcnow())
    db.session.add(step)
    db.session.flush()
    audit.record("vetting.step", "volunteer", volunteer.id, actor=agent,
                 territory_id=territory_of_volunteer(volunteer), kind=kind)
    if volunteer.status is V.APPLIED:
        _move(volunteer, "start_review", V.IN_REVIEW, agent)
    return step


def _require(volunteer: VolunteerProfile, decision: str) -> None:
    if volunteer.status not in ALLOWED[decision]:
        raise InvalidTransition(_("Cette décision n'est pas possible dans l'état actuel du dossier."))


def _move(volunteer: VolunteerProfile, decision: str, new: VolunteerStatus, agent: User,
          reason: str | None = None) -> VolunteerProfile:
    _require(volunteer, decision)
    old = volunteer.status
    volunteer.status = new
    volunteer.status_changed_at = utcnow()
    volunteer.status_changed_by_id = agent.id
    volunteer.status_reason = reason
    audit.record(f"vetting.{decision}", "volunteer", volunteer.id, actor=agent,
                 territory_id=territory_of_volunteer(volunteer), **{"from": old, "to": new})
    return volunteer


def approve(volunteer: VolunteerProfile, agent: User) -> VolunteerProfile:
    """Approve a volunteer whose every step is done and valid."""
    _require(volunteer, "approve")
    missing = missing_steps(volunteer)
    if missing:
        from app.vocabulary import VETTING_LABELS

        raise DomainError(_("Il manque encore : %(steps)s.",
                            steps=", ".join(str(VETTING_LABELS[k]).lower() for k in missing)))
    _move(volunteer, "approve", V.APPROVED, agent)
    _tell(volunteer, approved=True)
    return volunteer


def reject(volunteer: VolunteerProfile, agent: User, reason: str) -> VolunteerProfile:
    """Reject an application, with a reason the volunteer can read."""
    _move(volunteer, "reject", V.REJECTED, agent, reason)
    _tell(volunteer, approved=False)
    return volunteer


def suspend(volunteer: VolunteerProfile, agent: User, reason: str) -> VolunteerProfile:
    """Suspend an approved volunteer: their live pairs close and they lose access at once."""
    _move(volunteer, "suspend", V.SUSPENDED, agent, reason)
    pairs.withdraw_live(volunteer=volunteer, actor=agent, reason="volunteer_suspended")
    return volunteer


def reinstate(volunteer: VolunteerProfile, agent: User) -> VolunteerProfile:
    """Lift a suspension (steps must still be valid)."""
    _require(volunteer, "reinstate")
    if missing_steps(volunteer):
        raise DomainError(_("Des étapes ont expiré : refaites-les avant de réintégrer ce bénévole."))
    return _move(volunteer, "reinstate", V.APPROVED, agent)


def leave(volunteer: VolunteerProfile, actor: User, reason: str | None = None) -> VolunteerProfile:
    """The volunteer leaves (or an agent records it); live pairs close."""
    _move(volunteer, "leave", V.LEFT, actor, reason)
    pairs.withdraw_live(volunteer=volunteer, actor=actor, reason="volunteer_left")
    return volunteer


def _tell(volunteer: VolunteerProfile, *, approved: bool) -> None:
    outbox.notify(volunteer.user, "vetting_decision", _l("Votre candidature de bénévole"),
                  "vetting_decision", approved=approved)
