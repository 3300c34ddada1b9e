"""Agent console: heat-wave and cold-wave campaigns (plan canicule / grand froid).

One click builds the call list of the territory's residents; agents tick each call (reached,
not reached, visit needed, with a note), close the campaign and export the list as CSV.
"""

from __future__ import annotations

import uuid

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired, InputRequired, Length

from app.agent import bp, scope
from app.extensions import db
from app.forms.fields import Paragraph, Stripped
from app.forms.rendering import attach_error, page_arg
from app.models import (
    CallStatus,
    Campaign,
    CampaignCall,
    CampaignKind,
    Neighbourhood,
    ResidentProfile,
    Territory,
    User,
)
from app.security.access import acting_user as me
from app.services import campaigns as service
from app.services.errors import DomainError

PER_PAGE = 25
CALLS_PER_PAGE = 30
#: Filters of the call list (query string ``etat``).
CALL_FILTERS = {"": _l("Toutes les personnes"), **{s.value: label for s, label
                                                    in service.CALL_STATUS_LABELS.items()}}


class ActionForm(FlaskForm):
    """A button alone (close the campaign)."""


class CampaignForm(FlaskForm):
    """A new campaign: its kind and its name (an administrator also picks the territory)."""

    kind = RadioField(_l("Type de campagne"),
                      [InputRequired(_l("Choisissez le type de campagne."))],
                      choices=[(k.value, label)
                               for k, label in service.CAMPAIGN_KIND_LABELS.items()])
    name = Stripped(_l("Nom de la campagne"),
                    [DataRequired(_l("Donnez un nom à la campagne.")),
                     Length(max=service.NAME_MAX,
                            message=_l("Écrivez au plus %(max)d caractères."))],
                    description=_l("Par exemple : Canicule juillet 2026."),
                    render_kw={"maxlength": service.NAME_MAX, "autocomplete": "off"})
    territory = SelectField(_l("Territoire"), [InputRequired(_l("Choisissez un territoire."))],
                            choices=[])

    def load_territories(self) -> None:
        """Every territory, for an administrator."""
        territories = db.session.scalars(select(Territory).order_by(Territory.name))
        self.territory.choices = [("", _l("Choisissez un territoire"))] + [
            (str(t.id), t.name) for t in territories]


class CallForm(FlaskForm):
    """The outcome of one call, with a note."""

    status = RadioField(_l("Résultat de l'appel"),
                        [InputRequired(_l("Choisissez le résultat de l'appel."))],
                        choices=[(s.value, service.CALL_STATUS_LABELS[s])
                                 for s in service.OUTCOMES])
    note = Paragraph(_l("Note"), [Length(max=service.NOTE_MAX,
                                             message=_l("Écrivez au plus %(max)d caractères."))],
                         render_kw={"rows": 2, "maxlength": service.NOTE_MAX})


class FilterForm(FlaskForm):
    """Filter the call list by outcome."""

    class Meta:
        csrf = False

    etat = SelectField(_l("Afficher"), choices=list(CALL_FILTERS.items()), default="")


def _call_form(call: CampaignCall, formdata=None) -> CallForm:
    """The form of one row, with a prefix so every row's fields have their own ids."""
    form = CallForm(formdata=formdata, prefix=f"appel-{call.id.hex[:12]}")
    if formdata is None:
        form.status.data = call.status.value if call.status is not CallStatus.PENDING else None
        form.note.data = call.note
    return form


# The list of campaigns and creating one -----------------------------------------------------

def _list_page(form: CampaignForm | None = None, status: int = 200):
    territory_id = scope.territory_id()
    if form is None:
        form = CampaignForm(formdata=None)
    if territory_id is None:
        form.load_territories()
    stmt = select(Campaign)
    if territory_id is not None:
        stmt = stmt.where(Campaign.territory_id == territory_id)
    stmt = stmt.order_by(Campaign.closed_at.is_not(None), Campaign.created_at.desc(), Campaign.id)
    page = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    territories = {}
    if territory_id is None and page.items:
        ids = {c.territory_id for c in page.items}
        territories = dict(db.session.execute(
            select(Territory.id, Territory.name).where(Territory.id.in_(ids))).all())
    return render_template(
        "agent/campaigns/list.html", form=form, campaigns=page,
        progress=service.progress_of([c.id for c in page.items]), territories=territories,
        is_admin=territory_id is None, kinds=service.CAMPAIGN_KIND_LABELS,
    ), status


@bp.route("/campagnes", methods=["GET", "POST"])
def campaigns():
    """The territory's campaigns with their progress; create one (builds its call list)."""
    if request.method == "GET":
        return _list_page()
    territory_id = scope.territory_id()
    form = CampaignForm()
    if territory_id is None:
        form.load_territories()
    else:
        del form.territory
    if not form.validate_on_submit():
        return _list_page(form, 422)
    territory = db.session.get(Territory, territory_id or uuid.UUID(form.territory.data))
    try:
        campaign = service.create_campaign(territory, CampaignKind(form.kind.data), form.name.data,
                                           me())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _list_page(form, 422)
    db.session.commit()
    total = service.progress_of([campaign.id])[campaign.id].total
    flash(_("La campagne « %(name)s » est ouverte : %(n)s personne(s) à appeler.",
            name=campaign.name, n=total), "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id))


# One campaign ----------------------------------------------------------------------------------

def _load(campaign_id: uuid.UUID) -> Campaign:
    return scope.load(Campaign, campaign_id, lambda c: c.territory_id)


def _calls(campaign: Campaign, state: str | None):
    stmt = (
        select(CampaignCall)
        .join(ResidentProfile, ResidentProfile.id == CampaignCall.resident_id)
        .join(User, User.id == ResidentProfile.user_id)
        .where(CampaignCall.campaign_id == campaign.id)
        .options(joinedload(CampaignCall.resident).joinedload(ResidentProfile.user),
                 joinedload(CampaignCall.resident).joinedload(ResidentProfile.neighbourhood)
                 .joinedload(Neighbourhood.commune))
        .order_by(func.lower(User.last_name), func.lower(User.first_name), CampaignCall.id)
    )
    if state:
        stmt = stmt.where(CampaignCall.status == CallStatus(state))
    return db.paginate(stmt, page=page_arg(), per_page=CALLS_PER_PAGE, error_out=False)


def _campaign_page(campaign: Campaign, bound: tuple[uuid.UUID, CallForm] | None = None,
                   status: int = 200):
    filters = FilterForm(request.args)
    state = filters.etat.data if filters.validate() else None
    calls = _calls(campaign, state)
    forms = {call.id: (bound[1] if bound and bound[0] == call.id else _call_form(call))
             for call in calls.items}
    return render_template(
        "agent/campaigns/campaign.html", campaign=campaign, calls=calls, forms=forms,
        saved=request.args.get("enregistre"),
        filters=filters, progress=service.progress_of([campaign.id])[campaign.id],
        statuses=service.CALL_STATUS_LABELS, kinds=service.CAMPAIGN_KIND_LABELS,
        action_form=ActionForm(), territory=db.session.get(Territory, campaign.territory_id),
    ), status if not filters.errors else 422


@bp.route("/campagnes/<uuid:campaign_id>")
def campaign(campaign_id: uuid.UUID):
    """A campaign: its progress and its call list, a form per person."""
    return _campaign_page(_load(campaign_id))


def _back(campaign: Campaign, call: CampaignCall | None = None):
    """Back to the list, at the same page and filter, at the row just saved (which says so:
    a message at the top of a long list would be out of sight)."""
    args = {k: v for k, v in request.args.items() if k in ("page", "etat")}
    if call is not None:
        return redirect(url_for(".campaign", campaign_id=campaign.id, enregistre=call.id,
                                _anchor=f"appel-{call.id}", **args))
    return redirect(url_for(".campaign", campaign_id=campaign.id, **args))


@bp.route("/campagnes/<uuid:campaign_id>/appels/<uuid:call_id>", methods=["POST"])
def campaign_call(campaign_id: uuid.UUID, call_id: uuid.UUID):
    """Record the outcome of one call (a "visit needed" also opens an urgent concern)."""
    campaign = _load(campaign_id)
    call = db.session.get(CampaignCall, call_id)
    if call is None or call.campaign_id != campaign.id:
        abort(404)
    form = _call_form(call, request.form)
    if not form.validate_on_submit():
        return _campaign_page(campaign, (call.id, form), 422)
    outcome = CallStatus(form.status.data)
    try:
        service.record_call(call, outcome, form.note.data, me())
    except DomainError as error:
        db.session.rollback()
        target = form._fields.get(error.field) if error.field else None
        if target is None:
            flash(error.message, "error")
            return _back(campaign, call)
        target.errors = [*target.errors, error.message]
        return _campaign_page(campaign, (call.id, form), 422)
    db.session.commit()
    return _back(campaign, call)


@bp.route("/campagnes/<uuid:campaign_id>/clore", methods=["GET", "POST"])
def campaign_close(campaign_id: uuid.UUID):
    """Close the campaign, after a confirmation: the list no longer changes, stays exportable."""
    campaign = _load(campaign_id)
    if request.method == "GET":
        if campaign.closed_at is not None:
            flash(_("Cette campagne est déjà close."), "info")
            return _back(campaign)
        return render_template("agent/campaigns/close.html", campaign=campaign,
                               action_form=ActionForm(),
                               progress=service.progress_of([campaign.id])[campaign.id])
    try:
        service.close_campaign(campaign, me())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(campaign)
    db.session.commit()
    flash(_("La campagne « %(name)s » est close.", name=campaign.name), "success")
    return _back(campaign)


@bp.route("/campagnes/<uuid:campaign_id>/export.csv")
def campaign_export(campaign_id: uuid.UUID):
    """The call list as a CSV file for a spreadsheet; the export is written to the audit log."""
    campaign = _load(campaign_id)
    text, _rows = service.export_csv(campaign, me())
    db.session.commit()
    filename = f"campagne-{campaign.created_at:%Y-%m-%d}-{campaign.id.hex[:8]}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
