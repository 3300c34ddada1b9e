"""Volunteer pages: vetting progress, proposals, pairs, visits and concerns.

Each view loads its record through :mod:`app.security.objects` (404 when it is not the
volunteer's), checks the state, calls one service, commits and redirects with a message. A
service's refusal comes back on the same form, next to its field, with status 422.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app import vocabulary
from app.extensions import db
from app.forms.rendering import form_page, refused
from app.models import (
    ConcernSource,
    Match,
    MatchStatus,
    Mood,
    Severity,
    Visit,
    VisitStatus,
    utcnow,
)
from app.models.availability import slots_from_mask
from app.security.access import acting_user
from app.security.objects import (
    match_of_volunteer,
    own_volunteer_profile,
    visit_of_volunteer,
)
from app.services import concerns, pairs, visits
from app.services.errors import DomainError
from app.volunteer import bp, queries
from app.volunteer.forms import (
    DEFAULT_TIME,
    ActionForm,
    CancelForm,
    ConcernForm,
    DeclineForm,
    EndForm,
    LogForm,
    PauseForm,
    ScheduleForm,
)
from app.volunteer.progress import vetting_progress

S = MatchStatus
CURRENT = (S.ACTIVE, S.PAUSED)
#: A concern is about a resident the volunteer visits or has visited.
CONCERN_STATES = (S.ACTIVE, S.PAUSED, S.ENDED)


@bp.context_processor
def _helpers() -> dict:
    """Helpers of the volunteer templates."""
    return {"slot_label": slot_label, "time_range": time_range, "slots_of_mask": slots_from_mask}


def slot_label(slot: str) -> str:
    """"mon-am" as people read it: "Lundi matin"."""
    day, period = slot.split("-")
    return f"{vocabulary.DAY_LABELS[day]} {str(vocabulary.PERIOD_LABELS[period]).lower()}"


def time_range(visit: Visit) -> str:
    """"15:00 – 16:00", in Paris time."""
    start = visit.starts_at.astimezone(visits.PARIS)
    end = start + timedelta(minutes=visit.duration_minutes)
    return f"{start:%H:%M} – {end:%H:%M}"


_me = acting_user


def _today():
    return utcnow().astimezone(visits.PARIS).date()


def _state_message(match: Match) -> str:
    """Why an action is not possible in the pair's present state, in plain words."""
    return {
        S.APPROVED: _("Vous n'avez pas encore accepté cette proposition."),
        S.ACTIVE: _("Vous avez déjà accepté cette mise en relation : elle est active."),
        S.PAUSED: _("Cette mise en relation est en pause : reprenez-la d'abord."),
        S.ENDED: _("Cette mise en relation est terminée."),
        S.DECLINED: _("Vous avez décliné cette proposition."),
        S.WITHDRAWN: _("Un agent a retiré cette proposition."),
    }.get(match.status, _("Cette action n'est plus possible."))


def _back_to_pair(match: Match, message: str | None = None, category: str = "error"):
    if message:
        flash(message, category)
    return redirect(url_for(".pair", match_id=match.id))


@bp.route("/")
def home():
    """Vetting progress, proposals to decide, current pairs with their next visit, ended pairs."""
    profile = own_volunteer_profile()
    mine = queries.pairs_of(profile)
    return render_template(
        "volunteer/home.html", profile=profile, steps=vetting_progress(profile, _today()),
        pairs=mine, next_visit=queries.next_visit_by_pair(mine.current_ids),
        to_log=queries.visits_to_log(mine.current_ids),
    )


def _pair_page(match: Match, error: str | None = None, status: int = 200):
    """The page of one pair; the resident's contact is handed over only while it is accepted."""
    resident = match.resident
    contact = None
    if pairs.shows_resident_contact(match):
        contact = {"address": resident.address, "postcode": resident.postcode,
                   "commune": resident.neighbourhood.commune.name, "phone": resident.user.phone}
    current = match.status in CURRENT
    return render_template(
        "volunteer/pair.html", match=match, resident=resident, contact=contact, error=error,
        action_form=ActionForm(), shared=visits.shared_slots(match) if current else [],
        upcoming=queries.upcoming_visits(match.id) if current else [],
        to_log=queries.visits_to_log([match.id]).get(match.id, []),
        history=queries.past_visits(match.id) if match.status in CONCERN_STATES else [],
    ), status


@bp.route("/binome/<uuid:match_id>")
def pair(match_id: uuid.UUID):
    """A proposal to decide, a current pair with its visits, or an ended pair."""
    return _pair_page(match_of_volunteer(match_id))


@bp.route("/binome/<uuid:match_id>/accepter", methods=["POST"])
def accept(match_id: uuid.UUID):
    """Accept a proposal: the pair becomes active and the resident's contact is shown."""
    match = match_of_volunteer(match_id)
    if match.status is not S.APPROVED:
        return _pair_page(match, _state_message(match), 422)
    try:
        pairs.accept(match, _me())
    except DomainError as error:
        db.session.rollback()
        return _pair_page(match, error.message, 422)
    db.session.commit()
    flash(_("Merci ! Vous pouvez maintenant contacter %(name)s et planifier une première visite.",
            name=match.resident.user.first_name), "success")
    return redirect(url_for(".pair", match_id=match.id))


@bp.route("/binome/<uuid:match_id>/decliner", methods=["GET", "POST"])
def decline(match_id: uuid.UUID):
    """Decline a proposal with a reason; an agent will look for someone else."""
    match = match_of_volunteer(match_id)
    if match.status is not S.APPROVED:
        return _back_to_pair(match, _state_message(match))
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            pairs.decline(match, _me(), form.reason_text)
        except DomainError as error:
            return refused(form, error, "volunteer/decline.html", match=match)
        db.session.commit()
        flash(_("Vous avez décliné cette proposition. Merci de nous avoir dit pourquoi."), "success")
        return redirect(url_for(".home"))
    return form_page("volunteer/decline.html", form, match=match)


@bp.route("/binome/<uuid:match_id>/pause", methods=["GET", "POST"])
def pause(match_id: uuid.UUID):
    """Pause an active pair, after a confirmation; the visits to come are cancelled."""
    match = match_of_volunteer(match_id)
    if match.status is not S.ACTIVE:
        return _back_to_pair(match, _state_message(match))
    form = PauseForm()
    if form.validate_on_submit():
        try:
            pairs.pause(match, _me(), form.reason.data.strip())
        except DomainError as error:
            return refused(form, error, "volunteer/confirm.html", match=match, action="pause")
        db.session.commit()
        flash(_("La mise en relation est en pause. Les visites prévues sont annulées."), "success")
        return redirect(url_for(".pair", match_id=match.id))
    return form_page("volunteer/confirm.html", form, match=match, action="pause")


@bp.route("/binome/<uuid:match_id>/reprendre", methods=["POST"])
def resume(match_id: uuid.UUID):
    """Resume a paused pair."""
    match = match_of_volunteer(match_id)
    if match.status is not S.PAUSED:
        return _pair_page(match, _state_message(match), 422)
    try:
        pairs.resume(match, _me())
    except DomainError as error:
        db.session.rollback()
        return _pair_page(match, error.message, 422)
    db.session.commit()
    flash(_("La mise en relation a repris. Vous pouvez planifier vos prochaines visites."), "success")
    return redirect(url_for(".pair", match_id=match.id))


@bp.route("/binome/<uuid:match_id>/fin", methods=["GET", "POST"])
def end(match_id: uuid.UUID):
    """End a pair for good, after a confirmation."""
    match = match_of_volunteer(match_id)
    if match.status not in CURRENT:
        return _back_to_pair(match, _state_message(match))
    form = EndForm()
    if form.validate_on_submit():
        try:
            pairs.end(match, _me(), form.reason.data.strip())
        except DomainError as error:
            return refused(form, error, "volunteer/confirm.html", match=match, action="end")
        db.session.commit()
        flash(_("La mise en relation est terminée. Merci pour toutes ces visites."), "success")
        return redirect(url_for(".home"))
    return form_page("volunteer/confirm.html", form, match=match, action="end")


@bp.route("/binome/<uuid:match_id>/visites/nouvelle", methods=["GET", "POST"])
def schedule(match_id: uuid.UUID):
    """Plan a visit, one-off or weekly, in a moment both people are free (Paris time)."""
    match = match_of_volunteer(match_id)
    if match.status not in CURRENT:
        return _back_to_pair(match, _state_message(match))
    form = ScheduleForm()
    shared = visits.shared_slots(match)
    if shared and not form.is_submitted():
        form.starts_at.data = DEFAULT_TIME[shared[0].split("-")[1]]
    context = {"match": match, "shared": shared}
    if form.validate_on_submit():
        local_start = datetime.combine(form.starts_on.data, form.start_time)
        try:
            planned = visits.schedule(match, _me(), local_start,
                                      duration_minutes=form.duration.data, weeks=form.weeks.data)
        except DomainError as error:
            return refused(form, error, "volunteer/schedule.html", **context)
        db.session.commit()
        flash(_("Visite prévue. %(name)s en est prévenu·e.", name=match.resident.user.first_name)
              if len(planned) == 1 else
              _("%(n)s visites prévues. %(name)s en est prévenu·e.", n=len(planned),
                name=match.resident.user.first_name), "success")
        return redirect(url_for(".pair", match_id=match.id))
    return form_page("volunteer/schedule.html", form, **context)


@bp.route("/visites/<uuid:visit_id>/annuler", methods=["GET", "POST"])
def cancel_visit(visit_id: uuid.UUID):
    """Cancel a visit to come, saying why; the resident is told."""
    visit = visit_of_volunteer(visit_id)
    form = CancelForm()
    refusal = visits.change_refusal(visit)
    if refusal is None and form.validate_on_submit():
        try:
            visits.cancel(visit, _me(), form.reason.data)
        except DomainError as error:
            return refused(form, error, "volunteer/cancel.html", visit=visit, refusal=None)
        db.session.commit()
        flash(_("La visite est annulée. %(name)s en est prévenu·e.",
                name=visit.match.resident.user.first_name), "success")
        return redirect(url_for(".pair", match_id=visit.match_id))
    if refusal is not None and form.is_submitted():
        form.form_errors.append(refusal)
    return form_page("volunteer/cancel.html", form, visit=visit, refusal=refusal)


@bp.route("/visites/<uuid:visit_id>/compte-rendu", methods=["GET", "POST"])
def log_visit(visit_id: uuid.UUID):
    """Note a visit once it has started: done or missed, how the person seemed, a short note."""
    visit = visit_of_volunteer(visit_id)
    form = LogForm()
    context = {"visit": visit, "started": visit.starts_at <= utcnow()}
    if visit.status is not VisitStatus.SCHEDULED:
        flash(_("Cette visite est déjà notée ou annulée."), "info")
        return redirect(url_for(".pair", match_id=visit.match_id))
    if form.validate_on_submit():
        try:
            visits.log(visit, _me(), done=form.done, mood=form.mood_value,
                       note=(form.note.data or "").strip() or None)
        except DomainError as error:
            return refused(form, error, "volunteer/log.html", **context)
        db.session.commit()
        if form.mood_value is Mood.WORRYING:
            flash(_("Merci. Les agents de la collectivité ont été prévenus et vont prendre "
                    "contact avec %(name)s rapidement. Si elle ou il est en danger, appelez le 15 "
                    "ou le 112.", name=visit.match.resident.user.first_name), "warning")
        else:
            flash(_("Merci, la visite est notée."), "success")
        return redirect(url_for(".pair", match_id=visit.match_id))
    return form_page("volunteer/log.html", form, **context)


@bp.route("/binome/<uuid:match_id>/alerte", methods=["GET", "POST"])
def raise_concern(match_id: uuid.UUID):
    """Tell the agents something worries you about a resident you visit or visited."""
    match = match_of_volunteer(match_id)
    if match.status not in CONCERN_STATES:
        return _back_to_pair(match, _("Vous pourrez faire une alerte une fois la mise en relation "
                                      "acceptée."))
    form = ConcernForm()
    if form.validate_on_submit():
        try:
            concerns.raise_concern(_me(), ConcernSource.VOLUNTEER, form.description.data,
                                   resident=match.resident, match=match,
                                   severity=Severity(form.severity.data))
        except DomainError as error:
            return refused(form, error, "volunteer/concern.html", match=match)
        db.session.commit()
        flash(_("Merci. Votre alerte est transmise aux agents de la collectivité, qui vont s'en "
                "occuper. En cas de danger immédiat, appelez le 15 ou le 112."), "success")
        return redirect(url_for(".pair", match_id=match.id))
    return form_page("volunteer/concern.html", form, match=match)

