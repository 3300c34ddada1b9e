"""Resident pages: load (404 when not theirs), check, call a service, commit, redirect with a message.

A refused action re-renders its form with the message next to the field (status 422), keeping
what the person typed; a button alone (confirm a visit, resume) answers with a message on the
home page instead, since there is nothing to keep.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.forms.fields import format_phone
from app.forms.rendering import form_page, refused
from app.models import ConcernSource, Gender, MatchStatus, VisitKind
from app.resident import bp
from app.resident.forms import (
    ActionForm,
    CancelVisitForm,
    ConcernForm,
    OptionalReasonForm,
    ProfileForm,
    ReasonForm,
)
from app.resident.status import State, request_view, visit_problem, visit_when
from app.security.objects import (
    match_of_resident,
    own_resident_profile,
    visit_of_resident,
)
from app.services import concerns, requests, visits
from app.services.errors import DomainError


def _home():
    return redirect(url_for("resident.home"), 303)


def _done(message: str):
    db.session.commit()
    flash(message, "success")
    return _home()


def _refused(message: str):
    db.session.rollback()
    flash(message, "error")
    return _home()


@bp.route("/")
def home():
    """Where the request stands, in plain words, and what the resident can do."""
    profile = own_resident_profile()
    return render_template("resident/home.html", profile=profile, view=request_view(profile),
                           action=ActionForm())


# Visits -------------------------------------------------------------------------------------

@bp.route("/visites/<uuid:visit_id>/confirmer", methods=["POST"])
def confirm_visit(visit_id: uuid.UUID):
    """The resident says they expect the visit."""
    visit = visit_of_resident(visit_id)
    if not ActionForm().validate_on_submit():
        return _refused(_("Le formulaire a expiré. Appuyez à nouveau sur le bouton."))
    problem = visit_problem(visit)
    if problem:
        return _refused(problem)
    if visit.resident_confirmed_at is not None:
        flash(_("Vous aviez déjà confirmé cette visite."), "success")
        return _home()
    try:
        visits.confirm(visit, current_user)
    except DomainError as error:
        return _refused(error.message)
    return _done(_("Merci, votre visite est confirmée."))


@bp.route("/visites/<uuid:visit_id>/annuler", methods=["GET", "POST"])
def cancel_visit(visit_id: uuid.UUID):
    """Ask for a reason, then cancel a visit to come; the volunteer is told."""
    visit = visit_of_resident(visit_id)
    problem = visit_problem(visit)
    if problem:
        return _refused(problem)
    form = CancelVisitForm()
    context = {"when": visit_when(visit.starts_at)}
    if form.validate_on_submit():
        try:
            visits.cancel(visit, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "resident/cancel_visit.html", **context)
        return _done(_("La visite est annulée. Votre bénévole est prévenu·e."))
    return form_page("resident/cancel_visit.html", form, **context)


# The request --------------------------------------------------------------------------------

@bp.route("/pause", methods=["GET", "POST"])
def pause():
    """Pause the request (holidays, hospital…), with an optional reason."""
    profile = own_resident_profile()
    view = request_view(profile)
    if view.state in (State.PAUSED, State.CLOSED) and request.method == "GET":
        return _refused(_("Votre demande est déjà en pause.") if view.state is State.PAUSED
                        else _("Votre demande est close."))
    form = OptionalReasonForm()
    if form.validate_on_submit():
        try:
            requests.pause_request(profile, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "resident/pause.html", view=view)
        return _done(_("Votre demande est en pause. Revenez ici pour la reprendre quand vous voulez."))
    return form_page("resident/pause.html", form, view=view)


@bp.route("/reprendre", methods=["POST"])
def resume():
    """Resume a paused request."""
    profile = own_resident_profile()
    if not ActionForm().validate_on_submit():
        return _refused(_("Le formulaire a expiré. Appuyez à nouveau sur le bouton."))
    try:
        requests.resume_request(profile, current_user)
    except DomainError as error:
        return _refused(error.message)
    return _done(_("Votre demande reprend. Nous cherchons un·e bénévole pour vous."))


@bp.route("/clore", methods=["GET", "POST"])
def close():
    """Close the request for good, after a confirmation page."""
    profile = own_resident_profile()
    view = request_view(profile)
    if view.state is State.CLOSED and request.method == "GET":
        return _refused(_("Votre demande est déjà close."))
    form = OptionalReasonForm()
    if form.validate_on_submit():
        try:
            requests.close_request(profile, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "resident/close.html", view=view)
        return _done(_("Votre demande est close. Merci d'avoir utilisé le service."))
    return form_page("resident/close.html", form, view=view)


@bp.route("/mise-en-relation/<uuid:match_id>/changer", methods=["GET", "POST"])
def change_volunteer(match_id: uuid.UUID):
    """Ask for another volunteer, with a reason; the pair ends and a new search starts."""
    match = match_of_resident(match_id)
    profile = own_resident_profile()
    if match.status not in (MatchStatus.ACTIVE, MatchStatus.PAUSED):
        return _refused(_("Vous n'avez pas de bénévole en ce moment : il n'y a personne "
                          "à remplacer."))
    form = ReasonForm()
    context = {"volunteer_first_name": match.volunteer.user.first_name}
    if form.validate_on_submit():
        try:
            requests.ask_another_volunteer(profile, match, current_user, form.reason.data)
        except DomainError as error:
            return refused(form, error, "resident/change_volunteer.html", **context)
        return _done(_("C'est noté. Nous cherchons une autre personne et nous vous appellerons."))
    return form_page("resident/change_volunteer.html", form, **context)


@bp.route("/signaler-un-probleme", methods=["GET", "POST"])
def report_problem():
    """Tell the agents about a problem: about the volunteer when there is one, else about oneself."""
    profile = own_resident_profile()
    view = request_view(profile)
    form = ConcernForm()
    if form.validate_on_submit():
        match = requests.live_match(profile) if view.matched else None
        about = ({"volunteer": match.volunteer, "match": match} if match is not None
                 else {"resident": profile})
        concerns.raise_concern(current_user, ConcernSource.RESIDENT, form.description.data, **about)
        return _done(_("Votre message est envoyé. Un agent de la collectivité va vous rappeler."))
    return form_page("resident/report_problem.html", form, view=view)


@bp.route("/mon-profil", methods=["GET", "POST"])
def edit_profile():
    """Change one's address, phone, visit wishes and weekly availability."""
    profile = own_resident_profile()
    view = request_view(profile)
    if view.state is State.CLOSED:
        return _refused(_("Votre demande est close : appelez-nous pour modifier vos informations."))
    form = ProfileForm() if request.method == "POST" else ProfileForm(data=_profile_data(profile))
    form.neighbourhood.load_choices()
    if form.validate_on_submit():
        try:
            changed = requests.update_preferences(profile, current_user, _changes(form))
        except DomainError as error:
            return refused(form, error, "resident/profile.html")
        db.session.commit()
        flash(_("Vos informations sont enregistrées.") if changed
              else _("Rien n'a changé : vos informations sont les mêmes."), "success")
        _warn_if_no_shared_slot(profile, view)
        return _home()
    return form_page("resident/profile.html", form)


def _profile_data(profile) -> dict:
    return {
        "address": profile.address, "postcode": profile.postcode,
        "neighbourhood": str(profile.neighbourhood_id), "phone": format_phone(profile.user.phone),
        "visit_kind": profile.visit_kind.value,
        "volunteer_gender": profile.volunteer_gender.value if profile.volunteer_gender else "",
        "languages": list(profile.languages), "interests": list(profile.interests),
        "availability": profile.slots,
    }


def _changes(form: ProfileForm) -> requests.PreferenceChanges:
    return requests.PreferenceChanges(
        address=form.address.data, postcode=form.postcode.data,
        neighbourhood_id=uuid.UUID(form.neighbourhood.data), phone=form.phone.data,
        visit_kind=VisitKind(form.visit_kind.data),
        volunteer_gender=Gender(form.volunteer_gender.data) if form.volunteer_gender.data else None,
        availability=form.availability.mask, languages=form.languages.data,
        interests=form.interests.data,
    )


def _warn_if_no_shared_slot(profile, before) -> None:
    """The pair stays, but say so when the volunteer can no longer plan a visit."""
    if not before.matched:
        return
    match = requests.live_match(profile)
    if match is not None and not visits.shared_slots(match):
        flash(_("Attention : vous n'avez plus de moment libre en commun avec %(name)s, qui ne "
                "pourra plus prévoir de nouvelle visite. Appelez-nous si vous avez besoin d'aide.",
                name=before.volunteer.first_name), "warning")
