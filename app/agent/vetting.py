"""Agent console: vetting the territory's volunteers — queues, the five steps, the decisions.

The list reads each volunteer's latest step of every kind in SQL (a window function), so the
queues "to vet", "expired or expiring" and the step counts cost a fixed number of queries: the
counts of every queue, then the page of rows. The decisions are those of
:mod:`app.services.vetting`, which checks the state and the steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select, true

from app.agent import bp, scope
from app.agent.forms import (
    ButtonForm,
    DecisionReasonForm,
    LeaveForm,
    VettingStepForm,
    VolunteerFilterForm,
    attach_error,
)
from app.agent.residents import PAGE_SIZE, person_matches, search_words
from app.agent.rows import PersonRow
from app.extensions import db
from app.models import (
    Commune,
    Match,
    MatchStatus,
    Neighbourhood,
    ResidentProfile,
    User,
    VettingKind,
    VettingStep,
    VolunteerProfile,
    VolunteerStatus,
    paris_today,
)
from app.services import audit, vetting
from app.services.errors import DomainError
from app.services.scope import territory_of_volunteer, volunteers_in, volunteers_of
from app.vocabulary import VETTING_LABELS

V = VolunteerStatus
#: A step that expires within this many days is flagged (and listed in the "expiring" queue).
SOON = timedelta(days=30)
STEP_COUNT = len(VettingKind)


def _today() -> date:
    """The day the vetting service counts expiry from (Paris)."""
    return paris_today()


def _step_summary(tid: uuid.UUID | None):
    """Per volunteer: valid latest steps, whether the charter has a step, the earliest expiry.

    Only the steps of the territory's volunteers are ranked (every step for None), in the
    order of the index ``vetting_steps (volunteer_id, kind, done_on, created_at)``.
    """
    ranked = select(
        VettingStep.volunteer_id, VettingStep.kind, VettingStep.expires_on,
        func.row_number().over(
            partition_by=(VettingStep.volunteer_id, VettingStep.kind),
            order_by=(VettingStep.done_on.desc(), VettingStep.created_at.desc()),
        ).label("rn"),
    )
    if tid is not None:
        ranked = ranked.where(VettingStep.volunteer_id.in_(volunteers_of(tid)))
    ranked = ranked.subquery("ranked")
    valid = case((or_(ranked.c.expires_on.is_(None), ranked.c.expires_on >= _today()), 1), else_=0)
    return (select(ranked.c.volunteer_id,
                   func.sum(valid).label("valid"),
                   func.max(case((ranked.c.kind == VettingKind.CHARTER, 1), else_=0))
                   .label("charter_step"),
                   func.min(ranked.c.expires_on).label("next_expiry"))
            .where(ranked.c.rn == 1).group_by(ranked.c.volunteer_id).subquery("steps"))


def _live_pairs():
    return (select(Match.volunteer_id, func.count().label("n"))
            .where(Match.status.in_(MatchStatus.live())).group_by(Match.volunteer_id)
            .subquery("pairs"))


def _queues(steps) -> dict[str, object]:
    """Each queue's condition (PRODUCT.md §1: vetting, and steps that expire)."""
    expired = steps.c.next_expiry < _today()
    soon = steps.c.next_expiry <= _today() + SOON
    to_vet = VolunteerProfile.status.in_([V.APPLIED, V.IN_REVIEW])
    return {
        "a-traiter": or_(to_vet, and_(VolunteerProfile.status == V.APPROVED, expired)),
        "a-verifier": to_vet,
        "valides": VolunteerProfile.status == V.APPROVED,
        "suspendus": VolunteerProfile.status == V.SUSPENDED,
        "expiration": and_(VolunteerProfile.status.in_([V.APPLIED, V.IN_REVIEW, V.APPROVED,
                                                        V.SUSPENDED]), soon),
        "non-retenus": VolunteerProfile.status.in_([V.REJECTED, V.LEFT]),
        "tous": true(),
    }


def _scoped(stmt, tid: uuid.UUID | None, words: tuple[str, ...], steps, pairs):
    """The territory's volunteers (with their steps and pairs) matching the search words."""
    stmt = (stmt.select_from(VolunteerProfile)
            .join(User, User.id == VolunteerProfile.user_id)
            .join(Neighbourhood, Neighbourhood.id == VolunteerProfile.neighbourhood_id)
            .join(Commune, Commune.insee_code == Neighbourhood.commune_insee)
            .outerjoin(steps, steps.c.volunteer_id == VolunteerProfile.id)
            .outerjoin(pairs, pairs.c.volunteer_id == VolunteerProfile.id)
            .where(volunteers_in(tid), User.anonymised_at.is_(None)))
    for word in words:
        stmt = stmt.where(person_matches(word))
    return stmt


def queue_counts(tid: uuid.UUID | None, words: tuple[str, ...] = ()) -> dict[str, int]:
    """How many volunteers each queue holds (one query; the queues overlap)."""
    steps, pairs = _step_summary(tid), _live_pairs()
    queues = _queues(steps)
    sums = [func.coalesce(func.sum(case((condition, 1), else_=0)), 0) for condition in queues.values()]
    values = db.session.execute(_scoped(select(*sums), tid, words, steps, pairs)).one()
    return dict(zip(queues, (int(v) for v in values)))


@dataclass(frozen=True)
class VolunteerRow(PersonRow):
    """One line of the vetting list (and of the export)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    commune: str
    neighbourhood: str
    status: VolunteerStatus
    status_changed_at: datetime | None
    created_at: datetime
    capacity: int
    max_km: float
    live_pairs: int
    steps_valid: int
    next_expiry: date | None

    @property
    def expired(self) -> bool:
        """Whether a current step has passed its expiry day."""
        return self.next_expiry is not None and self.next_expiry < _today()

    @property
    def expiring(self) -> bool:
        """Whether a current step expires within 30 days (and none has yet)."""
        return (self.next_expiry is not None and not self.expired
                and self.next_expiry <= _today() + SOON)


def volunteer_rows(tid: uuid.UUID | None, queue: str, words: tuple[str, ...] = (), *,
                   page: int = 1, limit: int | None = None) -> list[VolunteerRow]:
    """The volunteers of a queue, sorted for it (one query); a page of them with ``limit``."""
    steps, pairs = _step_summary(tid), _live_pairs()
    # The charter accepted at sign-up counts as a step until a charter step is recorded.
    charter = case((and_(func.coalesce(steps.c.charter_step, 0) == 0,
                         VolunteerProfile.charter_accepted_at.is_not(None)), 1), else_=0)
    stmt = _scoped(select(
        VolunteerProfile.id, User.first_name, User.last_name, User.phone, User.email,
        Commune.name, Neighbourhood.name, VolunteerProfile.status,
        VolunteerProfile.status_changed_at, VolunteerProfile.created_at,
        VolunteerProfile.capacity, VolunteerProfile.max_km, func.coalesce(pairs.c.n, 0),
        func.coalesce(steps.c.valid, 0) + charter, steps.c.next_expiry,
    ), tid, words, steps, pairs).where(_queues(steps)[queue])
    if queue == "expiration":
        order = (steps.c.next_expiry,)
    elif queue in ("a-traiter", "a-verifier"):
        # Approved volunteers with an expired step first, then applications, oldest first.
        order = (case((VolunteerProfile.status == V.APPROVED, 0), else_=1),
                 VolunteerProfile.created_at)
    else:
        order = (func.lower(User.last_name), func.lower(User.first_name))
    stmt = stmt.order_by(*order, VolunteerProfile.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset((page - 1) * limit)
    return [VolunteerRow(id=row[0], first_name=row[1], last_name=row[2], phone=row[3],
                         email=row[4], commune=row[5], neighbourhood=row[6], status=row[7],
                         status_changed_at=row[8], created_at=row[9], capacity=row[10],
                         max_km=row[11], live_pairs=int(row[12]),
                         steps_valid=min(int(row[13]), STEP_COUNT), next_expiry=row[14])
            for row in db.session.execute(stmt)]


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
                and self.step.expires_on <= _today() + SOON)


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

