"""Agent console: the referrals of the territory, oldest first; register the person or close it."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.agent import bp, scope
from app.agent.forms import ReferralOutcomeForm, ResidentRegistrationForm, attach_error
from app.agent.residents import territory_communes
from app.extensions import db
from app.forms.fields import format_phone
from app.models import (
    Commune,
    CommunePostcode,
    Neighbourhood,
    Referral,
    ReferralStatus,
    ResidentProfile,
    User,
)
from app.public.forms import RELATIONS
from app.services import audit, referral_handling
from app.services.errors import DomainError
from app.services.referral_handling import territory_of_referral
from app.services.scope import communes_of

#: The longest queue shown at once; the oldest come first, so none is forgotten.
QUEUE_LIMIT = 200
#: How many handled referrals the second tab lists.
HANDLED_LIMIT = 50


def _of_territory(tid: uuid.UUID | None):
    stmt = select(Referral, Commune.name).join(Commune, Commune.insee_code == Referral.commune_insee)
    return stmt if tid is None else stmt.where(Referral.commune_insee.in_(communes_of(tid)))


@bp.route("/signalements")
def referrals():
    """Pending referrals, oldest first; or the latest handled ones."""
    tid = scope.territory_id()
    handled = request.args.get("vue") == "traites"
    stmt = _of_territory(tid)
    if handled:
        stmt = (stmt.where(Referral.status != ReferralStatus.PENDING)
                .order_by(Referral.handled_at.desc(), Referral.id).limit(HANDLED_LIMIT))
    else:
        stmt = (stmt.where(Referral.status == ReferralStatus.PENDING)
                .order_by(Referral.created_at, Referral.id).limit(QUEUE_LIMIT))
    rows = db.session.execute(stmt).all()
    return render_template("agent/referrals/list.html", rows=rows, handled=handled,
                           relations=dict(RELATIONS), limit=HANDLED_LIMIT if handled else QUEUE_LIMIT)


def load_referral(referral_id: uuid.UUID) -> Referral:
    """The referral, 404 when missing or outside the agent's territory."""
    return scope.load(Referral, referral_id, territory_of_referral)


def _detail(referral: Referral, outcome_form: ReferralOutcomeForm, status: int = 200):
    handler = db.session.get(User, referral.handled_by_id) if referral.handled_by_id else None
    resident_id = (db.session.scalar(select(ResidentProfile.id)
                                     .where(ResidentProfile.user_id == referral.resident_user_id))
                   if referral.resident_user_id else None)
    return render_template("agent/referrals/detail.html", referral=referral, handler=handler,
                           resident_id=resident_id, form=outcome_form,
                           relations=dict(RELATIONS)), status


@bp.route("/signalements/<uuid:referral_id>")
def referral(referral_id: uuid.UUID):
    """A referral: the person, why they seem isolated, who signalled them and how to call back."""
    item = load_referral(referral_id)
    audit.record("referral.view", "referral", item.id, territory_id=territory_of_referral(item))
    page = _detail(item, ReferralOutcomeForm())
    db.session.commit()  # after rendering, so the page reads no record twice
    return page


def _to_referral(item: Referral):
    return redirect(url_for("agent.referral", referral_id=item.id), 303)


def _already_handled(item: Referral):
    db.session.rollback()
    flash(_("Ce signalement a déjà été traité."), "error")
    return _to_referral(item)


@bp.route("/signalements/<uuid:referral_id>/issue", methods=["POST"])
def close_referral(referral_id: uuid.UUID):
    """The person could not be reached, or does not want visits: with a note."""
    item = load_referral(referral_id)
    if item.status is not ReferralStatus.PENDING:
        return _already_handled(item)
    form = ReferralOutcomeForm()
    if not form.validate_on_submit():
        return _detail(item, form, 422)
    try:
        referral_handling.close_referral(item, current_user, ReferralStatus(form.outcome.data),
                                         form.note.data)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _detail(item, form, 422)
    db.session.commit()
    flash(_("Le signalement est classé : %(outcome)s.",
            outcome=_("personne injoignable") if item.status is ReferralStatus.UNREACHABLE
            else _("la personne ne souhaite pas de visites")), "success")
    return redirect(url_for("agent.referrals"), 303)


def _prefill(item: Referral) -> dict:
    """What the referral already says, to check with the person on the phone."""
    postcodes = list(db.session.scalars(select(CommunePostcode.postcode)
                                        .where(CommunePostcode.commune_insee == item.commune_insee)))
    neighbourhoods = list(db.session.scalars(select(Neighbourhood.id)
                                             .where(Neighbourhood.commune_insee == item.commune_insee)))
    return {
        "first_name": item.first_name, "last_name": item.last_name,
        "phone": format_phone(item.phone), "email": item.email, "address": item.address,
        "postcode": postcodes[0] if len(postcodes) == 1 else None,
        "neighbourhood": str(neighbourhoods[0]) if len(neighbourhoods) == 1 else "",
    }


@bp.route("/signalements/<uuid:referral_id>/inscrire", methods=["GET", "POST"])
def convert_referral(referral_id: uuid.UUID):
    """The person agreed on the phone: the registration form, filled from the referral."""
    item = load_referral(referral_id)
    if item.status is not ReferralStatus.PENDING:
        return _already_handled(item)
    form = (ResidentRegistrationForm() if request.method == "POST"
            else ResidentRegistrationForm(data=_prefill(item)))
    form.neighbourhood.load_choices(territory_communes(territory_of_referral(item)))
    if form.validate_on_submit():
        try:
            profile = referral_handling.convert_referral(item, form.registration(), current_user)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            return render_template("agent/residents/register.html", form=form, referral=item), 422
        db.session.commit()
        flash(_("%(name)s est inscrit·e et le signalement est classé. Sa demande attend un·e "
                "bénévole.", name=profile.user.full_name), "success")
        return redirect(url_for("agent.resident", resident_id=profile.id), 303)
    status = 422 if form.errors else 200
    return render_template("agent/residents/register.html", form=form, referral=item), status
