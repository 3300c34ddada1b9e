"""Agent console: run the matching, review its proposals, pick another candidate by hand.

Each proposal shows its score and why (PRODUCT.md §2). Views load through :mod:`app.agent.scope`
(404 outside the agent's territory), call one service of :mod:`app.services.pairs`, commit and
redirect with a message; a refusal comes back as a message, never as an error page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectField
from wtforms.validators import DataRequired, Length

from app.agent import bp, scope
from app.extensions import db
from app.forms.fields import Paragraph
from app.forms.rendering import page_arg
from app.models import (
    Match,
    MatchStatus,
    Neighbourhood,
    RequestStatus,
    ResidentProfile,
    Territory,
    VolunteerProfile,
)
from app.models.availability import mask_from_slots, slots_from_mask
from app.security.access import acting_user as me
from app.services import audit, matching, pairs
from app.services.errors import DomainError
from app.services.scope import (
    residents_of,
    territory_of_resident,
    territory_of_volunteer,
)
from app.services.settings import matching_weights
from app.vocabulary import MATCH_STATUS_LABELS

S = MatchStatus
PER_PAGE = 20
#: Reasons are read by the other agents; long enough to explain, short enough to read.
REASON_MAX = 500


class ActionForm(FlaskForm):
    """A button alone (approve, choose): a POST with its CSRF token."""


class RunForm(FlaskForm):
    """Run the matching; an administrator picks a territory, or all of them."""

    territory = SelectField(_l("Territoire"), choices=[], validate_choice=True)

    def load_choices(self) -> None:
        """Every territory, and "all"."""
        territories = db.session.scalars(select(Territory).order_by(Territory.name))
        self.territory.choices = [("all", _l("Tous les territoires"))] + [
            (str(t.id), t.name) for t in territories]


class RejectForm(FlaskForm):
    """Reject a proposal, saying why: the pair is never proposed again."""

    reason = Paragraph(
        _l("Pourquoi refusez-vous cette proposition ?"),
        [DataRequired(_l("Dites pourquoi vous refusez cette proposition.")),
         Length(max=REASON_MAX, message=_l("Écrivez au plus %(max)d caractères."))],
        description=_l("Par exemple : ils se connaissent déjà et ne s'entendent pas ; "
                       "le bénévole ne peut pas monter les escaliers."),
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


def territory_of_match(match: Match):
    """A pair belongs to its resident's territory."""
    return territory_of_resident(match.resident)


def _people():
    """Eager loads to print a pair (both people, accounts, neighbourhoods) and its run."""
    resident = joinedload(Match.resident)
    return (resident.joinedload(ResidentProfile.user),
            resident.joinedload(ResidentProfile.neighbourhood).joinedload(Neighbourhood.commune),
            joinedload(Match.volunteer).joinedload(VolunteerProfile.user),
            selectinload(Match.run))


def _matches(status: MatchStatus, page: int, order):
    territory_id = scope.territory_id()
    stmt = select(Match).where(Match.status == status).options(*_people()).order_by(*order)
    if territory_id is not None:
        stmt = stmt.where(Match.resident_id.in_(residents_of(territory_id)))
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def _list_page(run_form: RunForm | None = None, status: int = 200):
    if run_form is None:
        run_form = RunForm()
        if scope.territory_id() is None:
            run_form.load_choices()
    return render_template(
        "agent/proposals/list.html", run_form=run_form, action_form=ActionForm(),
        proposals=_matches(S.PROPOSED, page_arg(), (Match.created_at, Match.id)),
        awaiting=_matches(S.APPROVED, page_arg("attente"), (Match.decided_at, Match.id)),
        is_admin=scope.territory_id() is None, territory=current_user.territory,
        current_weights=matching_weights(),
    ), status


@bp.route("/propositions")
def proposals():
    """Proposals to review (oldest first), and approved ones waiting for the volunteer."""
    return _list_page()


@bp.route("/propositions/lancer", methods=["POST"])
def run_matching():
    """Run the matching on the agent's territory (an administrator chooses one, or all)."""
    territory_id = scope.territory_id()
    form = RunForm()
    if territory_id is None:
        form.load_choices()
        if not form.validate_on_submit():
            return _list_page(form, 422)
        territories = (list(db.session.scalars(select(Territory).order_by(Territory.name)))
                       if form.territory.data == "all"
                       else [db.session.get(Territory, uuid.UUID(form.territory.data))])
    else:
        territories = [db.session.get(Territory, territory_id)]
    # A territory deleted meanwhile is skipped.
    runs = [matching.run_matching(t, me()) for t in territories if t is not None]
    db.session.commit()
    flash(_("Mise en relation terminée : %(matched)s nouvelle(s) proposition(s), pour "
            "%(residents)s personne(s) en attente et %(volunteers)s bénévole(s) disponible(s).",
            matched=sum(r.matched for r in runs),
            residents=sum(r.residents_considered for r in runs),
            volunteers=sum(r.volunteers_considered for r in runs)),
          "success" if any(r.matched for r in runs) else "info")
    return redirect(url_for(".proposals"))


def _load_match(match_id: uuid.UUID) -> Match:
    return scope.load(Match, match_id, territory_of_match)


_STATE_MESSAGES = {
    S.APPROVED: _l("Cette proposition est déjà approuvée : le bénévole doit maintenant répondre."),
    S.ACTIVE: _l("Cette proposition est déjà acceptée : le binôme est actif."),
    S.REJECTED: _l("Cette proposition a déjà été refusée."),
    S.WITHDRAWN: _l("Cette proposition a été retirée : un autre bénévole a été choisi."),
}


def _not_proposed(match: Match) -> str:
    return str(_STATE_MESSAGES.get(match.status, _l("Cette proposition n'est plus à examiner.")))


def _journal_refusal(match: Match, decision: str) -> None:
    """A decision that came too late is journaled too: every attempt of an agent leaves a trace."""
    db.session.rollback()
    audit.record(f"match.{decision}.refused", "match", match.id,
                 territory_id=territory_of_match(match), state=match.status.value)
    db.session.commit()


@bp.route("/propositions/<uuid:match_id>/approuver", methods=["POST"])
def approve_proposal(match_id: uuid.UUID):
    """Approve a proposal: the volunteer is asked to accept it."""
    match = _load_match(match_id)
    if match.status is not S.PROPOSED:
        _journal_refusal(match, "approve")
        flash(_not_proposed(match), "error")
        return redirect(url_for(".proposals"))
    try:
        pairs.approve(match, me())
    except DomainError as error:
        _journal_refusal(match, "approve")
        flash(error.message, "error")
        return redirect(url_for(".proposals"))
    db.session.commit()
    flash(_("Proposition approuvée : %(volunteer)s est invité·e à rendre visite à %(resident)s.",
            volunteer=match.volunteer.user.first_name, resident=match.resident.user.first_name),
          "success")
    return redirect(url_for(".proposals"))


@bp.route("/propositions/<uuid:match_id>/refuser", methods=["GET", "POST"])
def reject_proposal(match_id: uuid.UUID):
    """Reject a proposal with a reason; the pair is never proposed again."""
    match = _load_match(match_id)
    if match.status is not S.PROPOSED:
        if request.method == "POST":
            _journal_refusal(match, "reject")
        flash(_not_proposed(match), "error")
        return redirect(url_for(".proposals"))
    form = RejectForm()
    if form.validate_on_submit():
        try:
            pairs.reject(match, me(), form.reason.data.strip())
        except DomainError as error:
            _journal_refusal(match, "reject")
            form.form_errors.append(error.message)
            return _reject_page(form, match, 422)
        db.session.commit()
        flash(_("Proposition refusée. %(resident)s attend une autre proposition.",
                resident=match.resident.user.first_name), "success")
        return redirect(url_for(".proposals"))
    return _reject_page(form, match, 422 if form.errors else 200)


def _reject_page(form: RejectForm, match: Match, status: int):
    return render_template("agent/proposals/reject.html", form=form, match=match,
                           current_weights=matching_weights()), status


@dataclass(frozen=True)
class Candidate:
    """A volunteer of the ranked list with the engine's explained score (PRODUCT.md §2)."""

    volunteer: VolunteerProfile
    score: float
    part_waiting: float
    part_distance: float
    part_slots: float
    part_interests: float
    distance_km: float
    shared_slot_names: list[str]
    shared_interests: list[str]
    is_current: bool


def candidates_of(resident: ResidentProfile,
                  current_volunteer_id: uuid.UUID | None) -> list[Candidate]:
    """The ranked list of a resident's possible volunteers, with their people (two queries)."""
    ranked = matching.ranked_candidates(resident)
    ids = [uuid.UUID(p.volunteer) for p in ranked]
    people = {v.id: v for v in db.session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.id.in_(ids))
        .options(joinedload(VolunteerProfile.user),
                 joinedload(VolunteerProfile.neighbourhood).joinedload(Neighbourhood.commune))
    )} if ids else {}
    return [
        Candidate(volunteer=people[uuid.UUID(p.volunteer)], score=p.score,
                  part_waiting=p.parts.waiting, part_distance=p.parts.distance,
                  part_slots=p.parts.slots, part_interests=p.parts.interests,
                  distance_km=p.distance_km,
                  shared_slot_names=slots_from_mask(mask_from_slots(p.shared_slots)),
                  shared_interests=sorted(p.shared_interests),
                  is_current=uuid.UUID(p.volunteer) == current_volunteer_id)
        for p in ranked if uuid.UUID(p.volunteer) in people
    ]


def _live_match(resident: ResidentProfile) -> Match | None:
    return db.session.scalar(
        select(Match).where(Match.resident_id == resident.id, Match.status.in_(S.live()))
        .options(joinedload(Match.volunteer).joinedload(VolunteerProfile.user))
    )


def _choosable(resident: ResidentProfile, live: Match | None) -> str | None:
    """Why no volunteer can be chosen by hand for this person now, or None."""
    if resident.user.anonymised_at is not None or resident.status is RequestStatus.CLOSED:
        return _("La demande de cette personne est close.")
    if resident.status is RequestStatus.PAUSED:
        return _("La demande de cette personne est en pause : elle doit d'abord reprendre.")
    if live is not None and live.status is not S.PROPOSED:
        return _("Cette personne a déjà un ou une bénévole (mise en relation %(state)s).",
                 state=str(MATCH_STATUS_LABELS[live.status]).lower())
    return None


@bp.route("/propositions/habitant/<uuid:resident_id>")
def candidates(resident_id: uuid.UUID):
    """Every possible volunteer for one resident, best first, each with its explanation."""
    resident = scope.load(ResidentProfile, resident_id, territory_of_resident)
    live = _live_match(resident)
    current = live.volunteer_id if live is not None and live.status is S.PROPOSED else None
    return render_template(
        "agent/proposals/candidates.html", resident=resident, live=live,
        blocked=_choosable(resident, live), candidates=candidates_of(resident, current),
        weights=matching_weights(), action_form=ActionForm(),
    )


@bp.route("/propositions/habitant/<uuid:resident_id>/choisir/<uuid:volunteer_id>",
          methods=["POST"])
def choose_candidate(resident_id: uuid.UUID, volunteer_id: uuid.UUID):
    """Choose a volunteer from the ranked list by hand: that pair is approved at once."""
    resident = scope.load(ResidentProfile, resident_id, territory_of_resident)
    volunteer = scope.load(VolunteerProfile, volunteer_id, territory_of_volunteer)
    back = redirect(url_for(".candidates", resident_id=resident.id))
    blocked = _choosable(resident, _live_match(resident))
    if blocked:
        flash(blocked, "error")
        return back
    try:
        pairs.choose_candidate(resident, volunteer.id, me())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return back
    db.session.commit()
    flash(_("%(volunteer)s est proposé·e à %(resident)s : la proposition est approuvée et "
            "attend sa réponse.", volunteer=volunteer.user.first_name,
            resident=resident.user.first_name), "success")
    return redirect(url_for(".proposals"))

