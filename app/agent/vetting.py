"""Agent console: vetting the territory's volunteers — queues, the five steps, the decisions.

The list's queries are in :mod:`app.agent.vetting_list` (a fixed number whatever the rows).
The decisions are those of :mod:`app.services.vetting`, which checks the state and the steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.agent import bp, scope
from app.agent.forms import (
    ButtonForm,
    DecisionReasonForm,
    LeaveForm,
    VettingStepForm,
    VolunteerFilterForm,
    attach_error,
)
from app.agent.resident_list import PAGE_SIZE, search_words
from app.agent.vetting_list import SOON, STEP_COUNT, queue_counts, volunteer_rows
from app.extensions import db
from app.models import (
    Match,
    MatchStatus,
    ResidentProfile,
    User,
    VettingKind,
    VettingStep,
    VolunteerProfile,
    paris_today,
)
from app.services import audit, vetting
from app.services.errors import DomainError
from app.services.scope import territory_of_volunteer
from app.vocabulary import VETTING_LABELS


def filters() -> tuple[VolunteerFilterForm, str, tuple[str, ...], int, bool]:
    """The list's queue, search words and page from the query string; and whether all were valid."""
    form = VolunteerFilterForm(formdata=request.args)
    valid = form.validate()
    queue = form.file.data if not form.file.errors and form.file.data else "a-traiter"
    words = search_words(form.q.data) if not form.q.errors else ()
    page = form.page.data if not form.page.errors and form.page.data else 1
    return form, queue, words, page, valid


@bp.route("/benevoles")
def volunteers():
    """The territory's volunteers, by queue: to vet, approved, suspended, expiring steps."""
    tid = scope.territory_id()
    form, queue, words, page, valid = filters()
    counts = queue_counts(tid, words)
    pages = max((counts[queue] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    rows = volunteer_rows(tid, queue, words, page=page, limit=PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("agent/vetting/list.html", form=form, queue=queue, rows=rows,
                           counts=counts, page=page, pages=pages, args=args,
                           step_count=STEP_COUNT), 200 if valid else 422


# One volunteer -------------------------------------------------------------------------------

def load_volunteer(volunteer_id: uuid.UUID) -> VolunteerProfile:
    """The volunteer profile, 404 when missing or outside the agent's territory."""
    return scope.load(VolunteerProfile, volunteer_id, territory_of_volunteer)


@dataclass
class StepLine:
    """One of the five steps on the record page, with its latest record."""

    kind: VettingKind
    step: VettingStep | None
    recorded_by: str | None
    implied: bool = False

    @property
    def expired(self) -> bool:
        """Whether the step has passed its expiry day."""
        return vetting.is_expired(self.step)

    @property
    def expiring(self) -> bool:
        """Whether the step expires within 30 days."""
        return (self.step is not None and self.step.expires_on is not None and not self.expired
                and self.step.expires_on <= paris_today() + SOON)


def _names(user_ids) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _record(profile: VolunteerProfile, forms: dict | None = None, decision_error: str | None = None,
            status: int = 200):
    """The record page, with its forms (those given keep what was typed and their errors)."""
    history = list(db.session.scalars(
        select(VettingStep).where(VettingStep.volunteer_id == profile.id)
        .order_by(VettingStep.done_on.desc(), VettingStep.created_at.desc())))
    names = _names([s.recorded_by_id for s in history] + [profile.status_changed_by_id])
    latest: dict[VettingKind, VettingStep] = {}
    for step in reversed(history):
        latest[step.kind] = step
    lines = [StepLine(kind, latest.get(kind), names.get(latest[kind].recorded_by_id)
                      if kind in latest else None,
                      implied=kind is VettingKind.CHARTER and kind not in latest
                      and profile.charter_accepted_at is not None)
             for kind in VettingKind]
    missing = [line.kind for line in lines if (line.step is None and not line.implied)
               or line.expired]
    pairs = db.session.execute(
        select(Match, User.first_name, User.last_name)
        .join(ResidentProfile, ResidentProfile.id == Match.resident_id)
        .join(User, User.id == ResidentProfile.user_id)
        .where(Match.volunteer_id == profile.id, Match.status.in_(MatchStatus.live()))
        .order_by(Match.created_at)).all()
    forms = {"step": VettingStepForm(prefix="step"), "reject": DecisionReasonForm(prefix="reject"),
             "suspend": DecisionReasonForm(prefix="suspend"), "leave": LeaveForm(prefix="leave"),
             **(forms or {})}
    # "start_review" happens by itself when the first step is recorded.
    allowed = {name for name, states in vetting.ALLOWED.items()
               if profile.status in states and name != "start_review"}
    return render_template(
        "agent/vetting/detail.html", profile=profile, lines=lines, history=history, names=names,
        missing=missing, pairs=pairs, forms=forms, button=ButtonForm(), allowed=allowed,
        decision_error=decision_error), status


@bp.route("/benevoles/<uuid:volunteer_id>")
def volunteer(volunteer_id: uuid.UUID):
    """A volunteer's record: contact, availability, the five steps and the decisions."""
    profile = load_volunteer(volunteer_id)
    audit.record("volunteer.view", "volunteer", profile.id,
                 territory_id=territory_of_volunteer(profile))
    page = _record(profile)
    db.session.commit()  # after rendering, so the page reads no record twice
    return page


def _done(profile: VolunteerProfile, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("agent.volunteer", volunteer_id=profile.id), 303)


def _refused(profile: VolunteerProfile, error: DomainError, form=None, name: str | None = None):
    """A refused step or decision: the record again, the message next to the field (422)."""
    db.session.rollback()
    if form is not None and name is not None:
        attach_error(form, error)
        return _record(profile, {name: form}, status=422)
    return _record(profile, decision_error=error.message, status=422)


def _expired_form(profile: VolunteerProfile):
    return _refused(profile, DomainError(_("Le formulaire a expiré. Appuyez à nouveau sur le bouton.")))


@bp.route("/benevoles/<uuid:volunteer_id>/etapes", methods=["POST"])
def record_step(volunteer_id: uuid.UUID):
    """Record a vetting step: kind, day done, optional expiry and detail."""
    profile = load_volunteer(volunteer_id)
    form = VettingStepForm(prefix="step")
    if not form.validate_on_submit():
        return _record(profile, {"step": form}, status=422)
    kind = VettingKind(form.kind.data)
    try:
        vetting.record_step(profile, kind, current_user, done_on=form.done_on.data,
                            expires_on=form.expires_on.data, detail=form.detail.data)
    except DomainError as error:
        return _refused(profile, error, form, "step")
    return _done(profile, _("Étape enregistrée : %(step)s.", step=VETTING_LABELS[kind]))


@bp.route("/benevoles/<uuid:volunteer_id>/valider", methods=["POST"])
def approve_volunteer(volunteer_id: uuid.UUID):
    """Approve a volunteer whose five steps are done and valid."""
    profile = load_volunteer(volunteer_id)
    if not ButtonForm().validate_on_submit():
        return _expired_form(profile)
    try:
        vetting.approve(profile, current_user)
    except DomainError as error:
        return _refused(profile, error)
    return _done(profile, _("%(name)s est validé·e : les propositions peuvent commencer.",
                            name=profile.user.full_name))


def _with_reason(volunteer_id: uuid.UUID, name: str, act, message: str, form_class=DecisionReasonForm):
    profile = load_volunteer(volunteer_id)
    form = form_class(prefix=name)
    if not form.validate_on_submit():
        return _record(profile, {name: form}, status=422)
    try:
        act(profile, current_user, form.reason.data)
    except DomainError as error:
        return _refused(profile, error, form, name)
    return _done(profile, message % {"name": profile.user.full_name})


@bp.route("/benevoles/<uuid:volunteer_id>/refuser", methods=["POST"])
def reject_volunteer(volunteer_id: uuid.UUID):
    """Reject an application, with a reason the volunteer can read."""
    return _with_reason(volunteer_id, "reject", vetting.reject,
                        _("La candidature de %(name)s n'est pas retenue."))


@bp.route("/benevoles/<uuid:volunteer_id>/suspendre", methods=["POST"])
def suspend_volunteer(volunteer_id: uuid.UUID):
    """Suspend an approved volunteer (their live pairs close), with a reason."""
    return _with_reason(volunteer_id, "suspend", vetting.suspend,
                        _("%(name)s est suspendu·e ; ses mises en relation en cours sont arrêtées."))


@bp.route("/benevoles/<uuid:volunteer_id>/depart", methods=["POST"])
def volunteer_left(volunteer_id: uuid.UUID):
    """Record that a volunteer left (their live pairs close)."""
    return _with_reason(volunteer_id, "leave", vetting.leave,
                        _("Le départ de %(name)s est enregistré."), LeaveForm)


@bp.route("/benevoles/<uuid:volunteer_id>/reintegrer", methods=["POST"])
def reinstate_volunteer(volunteer_id: uuid.UUID):
    """Lift a suspension (the steps must still be valid)."""
    profile = load_volunteer(volunteer_id)
    if not ButtonForm().validate_on_submit():
        return _expired_form(profile)
    try:
        vetting.reinstate(profile, current_user)
    except DomainError as error:
        return _refused(profile, error)
    return _done(profile, _("%(name)s est réintégré·e.", name=profile.user.full_name))

