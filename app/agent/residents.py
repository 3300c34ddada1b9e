"""Agent console: the territory's residents — list, record, registration, edit, pause, resume, close.

The list's queries are in :mod:`app.agent.resident_list`: the territory's neighbourhoods (for
the filter), the counts by state, the page's ids and its rows, whatever the page size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, selectinload

from app.agent import bp, scope
from app.agent.forms import (
    CONSOLE_LABELS,
    ButtonForm,
    CloseForm,
    PauseForm,
    ResidentEditForm,
    ResidentFilterForm,
    ResidentRegistrationForm,
)
from app.agent.resident_list import (
    PAGE_SIZE,
    STILL_WAITING,
    ResidentFilters,
    neighbourhood_choices,
    resident_rows,
    state_counts,
)
from app.extensions import db
from app.forms.rendering import form_page, refused
from app.models import (
    Concern,
    ConsentRecord,
    Match,
    MatchStatus,
    RequestStatus,
    ResidentProfile,
    User,
    Visit,
    VisitStatus,
    VolunteerProfile,
    utcnow,
)
from app.resident.status import ResidentState, state_of, waiting_days
from app.services import audit, referral_handling, requests
from app.services.errors import DomainError
from app.services.scope import communes_of, territory_of_resident


@bp.context_processor
def _console_labels() -> dict:
    """The label tables of the residents, referrals and vetting pages."""
    return {"console_labels": CONSOLE_LABELS}


def filter_form() -> tuple[ResidentFilterForm, ResidentFilters, bool]:
    """The list's filters read from the query string; the bool says whether all were valid."""
    tid = scope.territory_id()
    form = ResidentFilterForm(neighbourhood_choices(tid), formdata=request.args)
    valid = form.validate()
    return form, ResidentFilters.from_form(form), valid


@bp.route("/habitants")
def residents():
    """The territory's residents: search, filters by state, neighbourhood and waiting time."""
    tid = scope.territory_id()
    form, filters, valid = filter_form()
    counts = state_counts(tid, filters)
    total = counts[filters.state] if filters.state else sum(counts.values())
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    rows = resident_rows(tid, filters, limit=PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("agent/residents/list.html", form=form, filters=filters, rows=rows,
                           counts=counts, total=total, pages=pages, args=args,
                           states=ResidentState), 200 if valid else 422


# One resident --------------------------------------------------------------------------------

def load_resident(resident_id: uuid.UUID) -> ResidentProfile:
    """The resident profile, 404 when missing, erased or outside the agent's territory."""
    profile = scope.load(ResidentProfile, resident_id, territory_of_resident)
    if profile.user.anonymised_at is not None:
        abort(404)
    return profile


@dataclass
class ResidentRecord:
    """Everything the record page shows about one resident."""

    profile: ResidentProfile
    state: ResidentState
    live: Match | None
    matches: list[Match]
    next_visit: Visit | None
    last_visit: Visit | None
    concerns: list[Concern]
    consents: list[tuple[ConsentRecord, str | None]]
    registered_by: User | None

    @property
    def waiting_days(self) -> int | None:
        """Days waited so far, for a person still without a volunteer."""
        return waiting_days(self.profile.waiting_since) if self.state in STILL_WAITING else None


def resident_record(profile: ResidentProfile) -> ResidentRecord:
    """Read the record of one resident (a fixed number of queries)."""
    matches = list(db.session.scalars(
        select(Match).where(Match.resident_id == profile.id)
        .options(selectinload(Match.volunteer).selectinload(VolunteerProfile.user))
        .order_by(Match.created_at.desc())))
    live = next((m for m in matches if m.status in MatchStatus.live()), None)
    match_ids = [m.id for m in matches]
    now = utcnow()
    visits = select(Visit).where(Visit.match_id.in_(match_ids)).limit(1)
    next_visit = db.session.scalar(visits.where(Visit.status == VisitStatus.SCHEDULED,
                                                Visit.starts_at > now).order_by(Visit.starts_at))
    last_visit = db.session.scalar(visits.where(Visit.status.in_([VisitStatus.DONE,
                                                                   VisitStatus.MISSED]))
                                   .order_by(Visit.starts_at.desc()))
    about = Concern.resident_id == profile.id
    if match_ids:
        about = or_(about, Concern.match_id.in_(match_ids))
    concerns = list(db.session.scalars(select(Concern).where(about)
                                       .order_by(Concern.created_at.desc())))
    recorder = aliased(User)
    consents = list(db.session.execute(
        select(ConsentRecord, recorder).outerjoin(recorder, recorder.id == ConsentRecord.recorded_by_id)
        .where(ConsentRecord.user_id == profile.user_id).order_by(ConsentRecord.given_at)))
    registered_by = (db.session.get(User, profile.registered_by_id)
                     if profile.registered_by_id else None)
    return ResidentRecord(profile=profile, state=state_of(profile.status, live and live.status),
                          live=live, matches=matches, next_visit=next_visit,
                          last_visit=last_visit, concerns=concerns,
                          consents=[(c, u.full_name if u else None) for c, u in consents],
                          registered_by=registered_by)


@bp.route("/habitants/<uuid:resident_id>")
def resident(resident_id: uuid.UUID):
    """A resident's record: identity, place, wishes, request, pairs, visits, concerns, consents.

    Reading it is written to the audit log (the record holds address, phone and wellbeing).
    """
    profile = load_resident(resident_id)
    audit.record("resident.view", "resident", profile.id, territory_id=territory_of_resident(profile))
    page = render_template("agent/residents/detail.html", record=resident_record(profile),
                           button=ButtonForm())
    db.session.commit()  # after rendering, so the page reads no record twice
    return page


def _to_record(profile: ResidentProfile):
    return redirect(url_for("agent.resident", resident_id=profile.id), 303)


def _refused(profile: ResidentProfile, message: str):
    db.session.rollback()
    flash(message, "error")
    return _to_record(profile)


def territory_communes(tid: uuid.UUID | None) -> list[str] | None:
    """INSEE codes of the territory's communes, for the neighbourhood lists (None: all)."""
    return None if tid is None else list(db.session.scalars(communes_of(tid)))


@bp.route("/habitants/nouveau", methods=["GET", "POST"])
def register_resident():
    """Register a resident who called or came to the desk, with their consent."""
    tid = scope.territory_id()
    form = ResidentRegistrationForm()
    form.neighbourhood.load_choices(territory_communes(tid))
    context = {"referral": None}
    if form.validate_on_submit():
        try:
            profile = referral_handling.register_for_resident(form.registration(), current_user, tid)
        except DomainError as error:
            return refused(form, error, "agent/residents/register.html", **context)
        db.session.commit()
        flash(_("%(name)s est inscrit·e. Sa demande attend un·e bénévole.",
                name=profile.user.full_name), "success")
        return _to_record(profile)
    return form_page("agent/residents/register.html", form, **context)


@bp.route("/habitants/<uuid:resident_id>/modifier", methods=["GET", "POST"])
def edit_resident(resident_id: uuid.UUID):
    """Change a resident's address, phone, wishes and availability."""
    profile = load_resident(resident_id)
    if profile.status is RequestStatus.CLOSED:
        return _refused(profile, _("Cette demande est close : ses informations ne se modifient plus."))
    form = ResidentEditForm() if request.method == "POST" else ResidentEditForm.of(profile)
    form.neighbourhood.load_choices(territory_communes(scope.territory_id()))
    context = {"profile": profile}
    if form.validate_on_submit():
        try:
            changed = requests.update_preferences(profile, current_user, form.changes())
        except DomainError as error:
            return refused(form, error, "agent/residents/edit.html", **context)
        db.session.commit()
        flash(_("Les informations sont enregistrées.") if changed
              else _("Rien n'a changé : les informations sont les mêmes."), "success")
        return _to_record(profile)
    return form_page("agent/residents/edit.html", form, **context)


def _pairs_closed_message(count: int) -> str:
    return _(" La mise en relation en cours est arrêtée et ses visites à venir sont annulées.") \
        if count else ""


@bp.route("/habitants/<uuid:resident_id>/pause", methods=["GET", "POST"])
def pause_resident(resident_id: uuid.UUID):
    """Pause an open request (holidays, hospital…), with an optional reason."""
    profile = load_resident(resident_id)
    if profile.status is not RequestStatus.OPEN:
        return _refused(profile, _("Seule une demande en cours peut être mise en pause."))
    form = PauseForm()
    context = {"record": resident_record(profile)}
    if form.validate_on_submit():
        try:
            closed = requests.pause_request(profile, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "agent/residents/pause.html", **context)
        db.session.commit()
        flash(_("La demande est en pause.") + _pairs_closed_message(closed), "success")
        return _to_record(profile)
    return form_page("agent/residents/pause.html", form, **context)


@bp.route("/habitants/<uuid:resident_id>/reprendre", methods=["POST"])
def resume_resident(resident_id: uuid.UUID):
    """Resume a paused request; the days waited before the pause still count."""
    profile = load_resident(resident_id)
    if not ButtonForm().validate_on_submit():
        return _refused(profile, _("Le formulaire a expiré. Appuyez à nouveau sur le bouton."))
    if profile.status is not RequestStatus.PAUSED:
        return _refused(profile, _("Cette demande n'est pas en pause."))
    try:
        requests.resume_request(profile, current_user)
    except DomainError as error:
        return _refused(profile, error.message)
    db.session.commit()
    flash(_("La demande reprend : la personne attend de nouveau un·e bénévole."), "success")
    return _to_record(profile)


@bp.route("/habitants/<uuid:resident_id>/clore", methods=["GET", "POST"])
def close_resident(resident_id: uuid.UUID):
    """Close a request for good, with a reason, after a confirmation page."""
    profile = load_resident(resident_id)
    if profile.status is RequestStatus.CLOSED:
        return _refused(profile, _("Cette demande est déjà close."))
    form = CloseForm()
    context = {"record": resident_record(profile)}
    if form.validate_on_submit():
        try:
            closed = requests.close_request(profile, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "agent/residents/close.html", **context)
        db.session.commit()
        flash(_("La demande est close.") + _pairs_closed_message(closed), "success")
        return _to_record(profile)
    return form_page("agent/residents/close.html", form, **context)

