"""Agent console: follow pairs (the attention queue, a pair's page) and handle concerns.

Concerns: open -> in progress -> closed, with notes, an owner (taken, or assigned to another
agent of the territory) and an overdue flag. Views load through :mod:`app.agent.scope` (404
outside the agent's territory), call one service, commit and redirect with a message; a
refusal comes back on the page, next to its field when it has one, with status 422.
"""

from __future__ import annotations

import uuid

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, Length

from app import vocabulary
from app.agent import bp, scope
from app.agent.proposals import territory_of_match
from app.extensions import db
from app.forms.fields import Paragraph
from app.forms.rendering import page_arg
from app.models import (
    Concern,
    ConcernNote,
    ConcernSource,
    ConcernStatus,
    Match,
    ResidentProfile,
    Severity,
    User,
    Visit,
    VolunteerProfile,
    utcnow,
)
from app.security.access import acting_user as me
from app.services import attention, concern_handling, concerns
from app.services.errors import DomainError

C = ConcernStatus
#: Visits listed on a pair's page, latest first.
HISTORY = 10
#: Concerns listed on a pair's page, those still to handle first.
PAIR_CONCERNS = 20
NOTE_HINT = _l("Les notes sont lues par les agents seulement. "
               "N'y écrivez que ce qui sert au suivi.")

STATE_CHOICES = [("", _l("Toutes")), ("pending", _l("À traiter (ouvertes et en cours)")),
                 ("overdue", _l("En retard")), ("open", _l("Ouvertes")),
                 ("in_progress", _l("En cours")), ("closed", _l("Closes"))]
SEVERITY_CHOICES = [("", _l("Toutes"))] + vocabulary.choices(vocabulary.SEVERITY_LABELS)
RAISE_SEVERITIES = [
    (Severity.LOW.value, _l("Pas urgent (sous 7 jours)")),
    (Severity.MEDIUM.value, _l("Assez urgent (sous 3 jours)")),
    (Severity.HIGH.value, _l("Urgent (sous 24 heures)")),
]
REASON_LABELS = {
    attention.Reason.NO_VISIT: _l("Aucune visite faite depuis au moins 21 jours"),
    attention.Reason.MISSED_TWICE: _l("Les deux dernières visites ont été manquées"),
    attention.Reason.WORRYING: _l("Visite notée « inquiétante » ces 30 derniers jours"),
}
#: How a concern came, said after the name of who raised it.
SOURCE_LABELS = {
    ConcernSource.VOLUNTEER: None, ConcernSource.RESIDENT: None, ConcernSource.AGENT: None,
    ConcernSource.VISIT_LOG: _l("en notant une visite « inquiétante »"),
}


class ActionForm(FlaskForm):
    """A button alone (take, start): a POST with its CSRF token."""


class FilterForm(FlaskForm):
    """Filters of the concern list, read from the query string."""

    class Meta:
        csrf = False

    etat = SelectField(_l("État"), choices=STATE_CHOICES, default="")
    gravite = SelectField(_l("Gravité"), choices=SEVERITY_CHOICES, default="")


def _note_field(label, required_message):
    return Paragraph(label, [DataRequired(required_message),
                                 Length(max=concern_handling.NOTE_MAX,
                                        message=_l("Écrivez au plus %(max)d caractères."))],
                         description=NOTE_HINT,
                         render_kw={"rows": 4, "maxlength": concern_handling.NOTE_MAX})


class NoteForm(FlaskForm):
    """Add a note to a concern."""

    body = _note_field(_l("Nouvelle note"), _l("Écrivez la note avant de l'ajouter."))


class CloseForm(FlaskForm):
    """Close a concern: what was done, in a note (required)."""

    note = _note_field(_l("Ce qui a été fait"),
                       _l("Dites ce qui a été fait : une alerte se clôt avec une note."))


class AssignForm(FlaskForm):
    """Give the concern to another agent of its territory."""

    owner = SelectField(_l("Confier l'alerte à"), [InputRequired(_l("Choisissez un agent."))],
                        choices=[])


class RaiseForm(FlaskForm):
    """An agent opens a concern about a pair they watch."""

    severity = SelectField(_l("Urgence"), choices=RAISE_SEVERITIES, default=Severity.MEDIUM.value)
    description = Paragraph(
        _l("Ce qui vous inquiète"),
        [DataRequired(_l("Dites ce qui vous inquiète.")), Length(max=concern_handling.NOTE_MAX,
                                        message=_l("Écrivez au plus %(max)d caractères."))],
        render_kw={"rows": 4, "maxlength": concern_handling.NOTE_MAX})


# The attention queue and a pair's page -----------------------------------------------------

@bp.route("/suivi", endpoint="attention")
def attention_queue():
    """Pairs that fade or worry, with why, worrying ones first."""
    now = utcnow()
    return render_template("agent/followup/attention.html",
                           queue=attention.page(scope.territory_id(), page_arg(), now=now),
                           reasons=REASON_LABELS, now=now)


def _pair_page(match: Match, raise_form: RaiseForm | None = None, status: int = 200):
    now = utcnow()
    history = list(db.session.scalars(
        select(Visit).where(Visit.match_id == match.id, Visit.starts_at <= now)
        .options(joinedload(Visit.log)).order_by(Visit.starts_at.desc()).limit(HISTORY)
    ))
    rows = concern_handling.most_urgent(None, PAIR_CONCERNS, now, match_id=match.id)
    flag = attention.flags_of([match.id], now).get(match.id)
    return render_template(
        "agent/followup/pair.html", match=match, history=history, concern_rows=rows, flag=flag,
        reasons=REASON_LABELS, raise_form=raise_form or RaiseForm(), now=now,
        resident_url=_record_url("agent.resident", resident_id=match.resident_id),
        volunteer_url=_record_url("agent.volunteer", volunteer_id=match.volunteer_id),
    ), status


def _record_url(endpoint: str, **values) -> str | None:
    """A person's record in the residents' or vetting pages, when that page exists."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def _load_pair(match_id: uuid.UUID) -> Match:
    return scope.load(Match, match_id, territory_of_match)


@bp.route("/suivi/binome/<uuid:match_id>")
def followup_pair(match_id: uuid.UUID):
    """A pair: its people, its latest visits and logs, its concerns, and a way to open one."""
    return _pair_page(_load_pair(match_id))


@bp.route("/suivi/binome/<uuid:match_id>/alerte", methods=["POST"])
def raise_pair_concern(match_id: uuid.UUID):
    """Open a concern about the resident of a pair, to track what the agent will do."""
    match = _load_pair(match_id)
    form = RaiseForm()
    if not form.validate_on_submit():
        return _pair_page(match, form, 422)
    concern = concerns.raise_concern(me(), ConcernSource.AGENT, form.description.data,
                                     resident=match.resident, match=match,
                                     severity=Severity(form.severity.data))
    db.session.commit()
    flash(_("L'alerte est ouverte. Prenez-la en charge ou confiez-la à un collègue."), "success")
    return redirect(url_for(".concern", concern_id=concern.id))


# Concerns ------------------------------------------------------------------------------------

@bp.route("/alertes", endpoint="concerns")
def concerns_list():
    """Concerns of the territory: open and in progress first, overdue first, then by due date."""
    form = FilterForm(request.args)
    valid = form.validate()
    state = form.etat.data if valid else None
    severity = form.gravite.data if valid else None
    now = utcnow()
    rows = concern_handling.list_page(scope.territory_id(), page=page_arg(), state=state,
                                      severity=severity, now=now)
    return render_template("agent/followup/concerns.html", rows=rows, form=form, now=now), \
        200 if valid else 422


def _load_concern(concern_id: uuid.UUID) -> Concern:
    return scope.load(Concern, concern_id, concern_handling.territory_of_concern)


def _concern_page(concern: Concern, status: int = 200, **forms):
    """The page of a concern, with its forms (a form given back keeps its input and errors)."""
    people = _concern_people(concern)
    assign_form = forms.get("assign_form") or AssignForm()
    agents = concern_handling.assignable_agents(concern)
    assign_form.owner.choices = [("", _l("Choisissez un agent"))] + [
        (str(a.id), a.full_name) for a in agents if a.id != concern.owner_id]
    return render_template(
        "agent/followup/concern.html", concern=concern, people=people,
        overdue=concern_handling.is_overdue(concern), action_form=ActionForm(),
        note_form=forms.get("note_form") or NoteForm(),
        close_form=forms.get("close_form") or CloseForm(), assign_form=assign_form,
        source_label=SOURCE_LABELS[concern.source], notes=_notes(concern),
        resident_url=_record_url("agent.resident", resident_id=concern.resident_id)
        if concern.resident_id else None,
        volunteer_url=_record_url("agent.volunteer", volunteer_id=concern.volunteer_id)
        if concern.volunteer_id else None,
    ), status


def _concern_people(concern: Concern) -> dict:
    """Who the concern is about, who raised it, who owns it, and its pair."""
    get = db.session.get
    match = None
    if concern.match_id:
        match = db.session.scalar(
            select(Match).where(Match.id == concern.match_id).options(*attention.people_options()))
    return {
        "resident": get(ResidentProfile, concern.resident_id) if concern.resident_id else None,
        "volunteer": get(VolunteerProfile, concern.volunteer_id) if concern.volunteer_id else None,
        "raised_by": get(User, concern.raised_by_id) if concern.raised_by_id else None,
        "owner": get(User, concern.owner_id) if concern.owner_id else None,
        "match": match,
    }


def _notes(concern: Concern):
    """Notes with their authors' names, oldest first, in one query."""
    return db.session.execute(
        select(ConcernNote, User.first_name, User.last_name)
        .outerjoin(User, User.id == ConcernNote.author_id)
        .where(ConcernNote.concern_id == concern.id).order_by(ConcernNote.created_at)
    ).all()


@bp.route("/alertes/<uuid:concern_id>")
def concern(concern_id: uuid.UUID):
    """A concern: what, who, its pair, its notes, its owner and what can be done now."""
    return _concern_page(_load_concern(concern_id))


def _act(concern: Concern, action, success: str, *, form=None, form_name: str | None = None):
    """Run a service on a concern, commit and go back to it; a refusal is shown on the page."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        db.session.refresh(concern)
        target = form._fields.get(error.field) if form is not None and error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
            return _concern_page(concern, 422, **{form_name: form})
        flash(error.message, "error")
        return redirect(url_for(".concern", concern_id=concern.id))
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(".concern", concern_id=concern.id))


@bp.route("/alertes/<uuid:concern_id>/prendre", methods=["POST"])
def concern_take(concern_id: uuid.UUID):
    """Take the concern in charge."""
    concern = _load_concern(concern_id)
    return _act(concern, lambda: concern_handling.take(concern, me()),
                _("Vous suivez maintenant cette alerte."))


@bp.route("/alertes/<uuid:concern_id>/confier", methods=["POST"])
def concern_assign(concern_id: uuid.UUID):
    """Give the concern to another agent of its territory."""
    concern = _load_concern(concern_id)
    form = AssignForm()
    form.owner.choices = [(str(a.id), a.full_name)
                          for a in concern_handling.assignable_agents(concern)]
    if not form.validate_on_submit():
        return _concern_page(concern, 422, assign_form=form)
    to = db.session.get(User, uuid.UUID(form.owner.data))
    return _act(concern, lambda: concern_handling.assign(concern, to, me()),
                _("L'alerte est confiée à %(name)s, qui en est prévenu·e.", name=to.full_name),
                form=form, form_name="assign_form")


@bp.route("/alertes/<uuid:concern_id>/en-cours", methods=["POST"])
def concern_start(concern_id: uuid.UUID):
    """Open -> in progress."""
    concern = _load_concern(concern_id)
    return _act(concern, lambda: concern_handling.start(concern, me()),
                _("L'alerte est en cours de traitement."))


@bp.route("/alertes/<uuid:concern_id>/note", methods=["POST"])
def concern_note(concern_id: uuid.UUID):
    """Add a note."""
    concern = _load_concern(concern_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _concern_page(concern, 422, note_form=form)
    return _act(concern, lambda: concern_handling.add_note(concern, me(), form.body.data),
                _("La note est ajoutée."), form=form, form_name="note_form")


@bp.route("/alertes/<uuid:concern_id>/clore", methods=["POST"])
def concern_close(concern_id: uuid.UUID):
    """In progress -> closed, with a note saying what was done."""
    concern = _load_concern(concern_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _concern_page(concern, 422, close_form=form)
    return _act(concern, lambda: concern_handling.close(concern, me(), form.note.data),
                _("L'alerte est close."), form=form, form_name="close_form")

