"""Administration: communes and their neighbourhoods — list, import a CSV file, add, edit."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from app.admin import actions, bp
from app.admin.forms import (
    TOO_LARGE,
    NeighbourhoodForm,
    NeighbourhoodImportForm,
    attach_error,
)
from app.extensions import db
from app.models import Commune, Neighbourhood, Role
from app.security.access import acting_user, wants_json
from app.services.errors import DomainError
from app.services.places import InvalidFile


@bp.route("/quartiers")
def neighbourhoods():
    """Every commune (with its territory) and its neighbourhoods."""
    communes = db.session.scalars(
        select(Commune)
        .options(selectinload(Commune.neighbourhoods), selectinload(Commune.territory))
        .order_by(Commune.name)).all()
    total = db.session.scalar(select(func.count()).select_from(Neighbourhood))
    return render_template("admin/places/list.html", communes=communes, total=total)


def _import_page(form: NeighbourhoodImportForm, status: int = 200):
    return render_template("admin/places/import.html", form=form), status


@bp.route("/quartiers/import", methods=["GET", "POST"])
def import_neighbourhoods():
    """Upload a CSV file of neighbourhoods: every line is checked, then all saved, or none."""
    form = NeighbourhoodImportForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _import_page(form, 200 if request.method == "GET" else 422)
    upload = form.file.data
    try:
        created, updated = actions.import_neighbourhoods(
            upload.read(), upload.filename or "", acting_user())
    except InvalidFile as error:
        db.session.rollback()
        form.file.errors = list(error.errors)
        return _import_page(form, 422)
    db.session.commit()
    flash(_("Import terminé : %(created)s quartier(s) ajouté(s), %(updated)s déplacé(s).",
            created=created, updated=updated), "success")
    return redirect(url_for(".neighbourhoods"))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A file above the server's limit: say so next to the file field, as for a smaller one.

    The body is refused before any view runs (even before the role check), hence the checks.
    """
    if (request.endpoint == "admin.import_neighbourhoods" and current_user.is_authenticated
            and current_user.role is Role.ADMIN):
        form = NeighbourhoodImportForm(formdata=None)
        form.file.errors = [str(TOO_LARGE)]
        return _import_page(form, 413)
    if wants_json():
        return jsonify(error=error.name, status=413), 413
    return render_template("errors/generic.html", code=413, error=error,
                           request_id=g.get("request_id")), 413


def _form_page(form: NeighbourhoodForm, neighbourhood: Neighbourhood | None, status: int = 200):
    return render_template("admin/places/edit.html", form=form, neighbourhood=neighbourhood), status


def _save(form: NeighbourhoodForm, neighbourhood: Neighbourhood | None):
    form.load_choices()
    if not form.validate_on_submit():
        return _form_page(form, neighbourhood, 422)
    try:
        saved = actions.save_neighbourhood(
            neighbourhood, commune_insee=form.commune.data, name=form.name.data,
            latitude=float(form.latitude.data), longitude=float(form.longitude.data),
            by=acting_user())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _form_page(form, neighbourhood, 422)
    db.session.commit()
    flash(_("Le quartier « %(name)s » est enregistré.", name=saved.label), "success")
    return redirect(url_for(".neighbourhoods", _anchor=f"commune-{saved.commune_insee}"))


@bp.route("/quartiers/nouveau", methods=["GET", "POST"])
def new_neighbourhood():
    """Add one neighbourhood."""
    if request.method == "GET":
        form = NeighbourhoodForm(formdata=None, commune=request.args.get("commune"))
        form.load_choices()
        return _form_page(form, None)
    return _save(NeighbourhoodForm(), None)


@bp.route("/quartiers/<uuid:neighbourhood_id>/modifier", methods=["GET", "POST"])
def edit_neighbourhood(neighbourhood_id: uuid.UUID):
    """Rename a neighbourhood, move its point or change its commune."""
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        abort(404)
    if request.method == "GET":
        form = NeighbourhoodForm(formdata=None, name=neighbourhood.name,
                                 commune=neighbourhood.commune_insee,
                                 latitude=neighbourhood.latitude, longitude=neighbourhood.longitude)
        form.load_choices()
        return _form_page(form, neighbourhood)
    return _save(NeighbourhoodForm(), neighbourhood)
