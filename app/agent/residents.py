"""Agent console: the territory's residents — list, record, registration, edit, pause, resume, close.

The state of a request (waiting, proposed, active, paused, closed) is read from its status and
its live pair (PRODUCT.md §1), in Python for one record and in SQL for the list, both from
:data:`PAIR_STATES`. The list costs the same three queries whatever the page size: the
territory's neighbourhoods (for the filter), the counts by state, and the page of rows with
every column it prints (no relationship is loaded per row).
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, or_, select
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
from app.agent.rows import PersonRow, people_scoped
from app.extensions import db
from app.forms.rendering import form_page, refused
from app.models import (
    Commune,
    Concern,
    ConsentRecord,
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    User,
    Visit,
    VisitStatus,
    VolunteerProfile,
    utcnow,
)
from app.resident.status import waiting_days
from app.services import audit, referral_handling, requests
from app.services.errors import DomainError
from app.services.scope import communes_of, territory_of_resident

#: Rows on a page of the list.
PAGE_SIZE = 25


class ResidentState(str, enum.Enum):
    """Where a request stands, as the agents' list files it."""

    WAITING = "waiting"
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


#: The state an open request takes from its live pair; an open request with none is waiting.
#: A pair paused by its members keeps the resident matched, so it counts as active.
PAIR_STATES = {
    MatchStatus.PROPOSED: ResidentState.PROPOSED, MatchStatus.APPROVED: ResidentState.PROPOSED,
    MatchStatus.ACTIVE: ResidentState.ACTIVE, MatchStatus.PAUSED: ResidentState.ACTIVE,
}
#: States in which the person still waits for a volunteer (their waiting time means something).
STILL_WAITING = (ResidentState.WAITING, ResidentState.PROPOSED)
#: Order of the states in the default sort: those still waiting first.
STATE_ORDER = {ResidentState.WAITING: 0, ResidentState.PROPOSED: 0, ResidentState.ACTIVE: 1,
               ResidentState.PAUSED: 2, ResidentState.CLOSED: 3}


def state_of(status: RequestStatus, pair_status: MatchStatus | None) -> ResidentState:
    """The state of one request, from its status and the status of its live pair, if any."""
    if status is RequestStatus.CLOSED:
        return ResidentState.CLOSED
    if status is RequestStatus.PAUSED:
        return ResidentState.PAUSED
    return PAIR_STATES.get(pair_status, ResidentState.WAITING)


def _state_sql(pair_status):
    """The same rule as :func:`state_of`, as a SQL expression giving the state's value."""
    by_pair = [(pair_status.in_([m for m, s in PAIR_STATES.items() if s is state]), state.value)
               for state in (ResidentState.PROPOSED, ResidentState.ACTIVE)]
    return case(
        (ResidentProfile.status == RequestStatus.CLOSED, ResidentState.CLOSED.value),
        (ResidentProfile.status == RequestStatus.PAUSED, ResidentState.PAUSED.value),
        *by_pair,
        else_=ResidentState.WAITING.value,
    )


@bp.context_processor
def _console_labels() -> dict:
    """The label tables of the residents, referrals and vetting pages."""
    return {"console_labels": CONSOLE_LABELS}


# The list --------------------------------------------------------------------------------------

#: A search made only of these characters is one phone number, spaces and all.
PHONE_LIKE = re.compile(r"[\d\s.+()-]+")


def search_words(text: str | None) -> tuple[str, ...]:
    """The words of a search (at most 6); a phone number typed with spaces stays one word."""
    text = (text or "").strip()
    if PHONE_LIKE.fullmatch(text) and sum(c.isdigit() for c in text) >= 3:
        return (text,)
    return tuple(text.split()[:6])


@dataclass
class ResidentFilters:
    """What the list shows: search words, state, neighbourhood, least waiting days, sort, page."""

    words: tuple[str, ...] = ()
    state: ResidentState | None = None
    neighbourhood_id: uuid.UUID | None = None
    min_wait: int | None = None
    sort: str = "attente"
    page: int = 1

    @classmethod
    def from_form(cls, form: ResidentFilterForm) -> ResidentFilters:
        """The valid filters of the form; a refused one is left out (its message is shown)."""
        def ok(field):
            return field.data and not field.errors
        return cls(
            words=search_words(form.q.data) if ok(form.q) else (),
            state=ResidentState(form.etat.data) if ok(form.etat) else None,
            neighbourhood_id=uuid.UUID(form.quartier.data) if ok(form.quartier) else None,
            min_wait=int(form.attente.data) if ok(form.attente) else None,
            sort=form.tri.data if ok(form.tri) else "attente",
            page=form.page.data if ok(form.page) else 1,
        )


@dataclass(frozen=True)
class ResidentRow(PersonRow):
    """One line of the list (and of the export)."""

    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    email: str | None
    commune: str
    neighbourhood: str
    state: ResidentState
    waiting_since: datetime
    created_at: datetime
    visit_kind: object
    by_agent: bool

    @property
    def waiting_days(self) -> int | None:
        """Days waited so far, for a person still without a volunteer."""
        return waiting_days(self.waiting_since) if self.state in STILL_WAITING else None


def contains(column, word: str):
    """Case-insensitive "contains", escaping LIKE's wildcards.

    ``lower()`` folds every letter on PostgreSQL but only ASCII ones on SQLite, so the word as
    typed is tried as well ("Élise" finds "Élise" on both).
    """
    return or_(func.lower(column).contains(word.lower(), autoescape=True),
               column.contains(word, autoescape=True))


def person_matches(word: str):
    """Condition: the person's name, e-mail or phone contains the word."""
    conditions = [contains(User.first_name, word), contains(User.last_name, word),
                  contains(User.email, word)]
    digits = "".join(c for c in word if c.isdigit())
    if len(digits) >= 3 and PHONE_LIKE.fullmatch(word):
        # Phones are stored as +33612345678: "06 12 34" is searched as "612 34" without the 0.
        conditions.append(User.phone.contains(digits.removeprefix("0"),
                                              autoescape=True))
    return or_(*conditions)


def _resident_select(tid: uuid.UUID | None, filters: ResidentFilters, *columns,
                     places: bool = True):
    """The residents of the territory matching every filter but the state, with their state.

    ``places``: join the neighbourhood, the commune and the user, for the columns that print
    them (the counts need none of them: every resident has a place, and erased accounts are
    left out by their ids).
    """
    live = (select(Match.resident_id, Match.status)
            .where(Match.status.in_(MatchStatus.live())).subquery("live"))
    state = _state_sql(live.c.status).label("state")
    stmt = people_scoped(select(*columns, state).select_from(ResidentProfile),
                         ResidentProfile.neighbourhood_id, ResidentProfile.user_id, tid,
                         join_users=places or bool(filters.words))
    if places:
        stmt = (stmt.join(Neighbourhood, Neighbourhood.id == ResidentProfile.neighbourhood_id)
                .join(Commune, Commune.insee_code == Neighbourhood.commune_insee))
    stmt = stmt.outerjoin(live, live.c.resident_id == ResidentProfile.id)
    for word in filters.words:
        stmt = stmt.where(person_matches(word))
    if filters.neighbourhood_id:
        stmt = stmt.where(ResidentProfile.neighbourhood_id == filters.neighbourhood_id)
    if filters.min_wait:
        cutoff = utcnow() - timedelta(days=filters.min_wait)
        stmt = stmt.where(state.in_([s.value for s in STILL_WAITING]),
                          ResidentProfile.waiting_since <= cutoff)
    return stmt, state


def state_counts(tid: uuid.UUID | None, filters: ResidentFilters) -> dict[ResidentState, int]:
    """How many residents each state holds, under the other filters (one query)."""
    stmt, state = _resident_select(tid, filters, func.count().label("n"), places=False)
    counts = {s: 0 for s in ResidentState}
    for n, value in db.session.execute(stmt.group_by(state)).all():
        counts[ResidentState(value)] = n
    return counts


def resident_rows(tid: uuid.UUID | None, filters: ResidentFilters,
                  limit: int | None = None) -> list[ResidentRow]:
    """The residents under every filter, sorted (one query); a page of them with ``limit``."""
    stmt, state = _resident_select(
        tid, filters, ResidentProfile.id, User.first_name, User.last_name, User.phone, User.email,
        Commune.name, Neighbourhood.name, ResidentProfile.waiting_since, ResidentProfile.created_at,
        ResidentProfile.visit_kind, ResidentProfile.registered_by_id.is_not(None))
    if filters.state:
        stmt = stmt.where(state == filters.state.value)
    order = case(*((state == s.value, rank) for s, rank in STATE_ORDER.items()), else_=9)
    stmt = stmt.order_by(*{
        "nom": (func.lower(User.last_name), func.lower(User.first_name)),
        "recent": (ResidentProfile.created_at.desc(),),
    }.get(filters.sort, (order, ResidentProfile.waiting_since)), ResidentProfile.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset((filters.page - 1) * limit)
    return [ResidentRow(id=r[0], first_name=r[1], last_name=r[2], phone=r[3], email=r[4],
                        commune=r[5], neighbourhood=r[6], waiting_since=r[7], created_at=r[8],
                        visit_kind=r[9], by_agent=bool(r[10]), state=ResidentState(r[11]))
            for r in db.session.execute(stmt)]


def neighbourhood_choices(tid: uuid.UUID | None) -> list[tuple[str, str]]:
    """The territory's neighbourhoods, as (id, "Name (Commune)") choices."""
    stmt = (select(Neighbourhood.id, Neighbourhood.name, Commune.name).join(Commune)
            .order_by(Commune.name, Neighbourhood.name))
    if tid is not None:
        stmt = stmt.where(Commune.territory_id == tid)
    return [(str(nid), name if name == commune else f"{name} ({commune})")
            for nid, name, commune in db.session.execute(stmt)]


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

