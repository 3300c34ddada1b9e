"""Administration: territories — create, rename, choose their communes."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin import actions, bp
from app.admin.forms import TerritoryCommunesForm, TerritoryNameForm, attach_error
from app.extensions import db
from app.models import Commune, Role, Territory, User
from app.security.access import acting_user
from app.services.errors import DomainError

_me = acting_user


def _list_page(form: TerritoryNameForm | None = None, status: int = 200):
    communes = (select(Commune.territory_id, func.count().label("n"))
                .group_by(Commune.territory_id).subquery())
    agents = (select(User.territory_id, func.count().label("n"))
              .where(User.role == Role.AGENT, User.is_enabled.is_(True))
              .group_by(User.territory_id).subquery())
    rows = db.session.execute(
        select(Territory, func.coalesce(communes.c.n, 0), func.coalesce(agents.c.n, 0))
        .outerjoin(communes, communes.c.territory_id == Territory.id)
        .outerjoin(agents, agents.c.territory_id == Territory.id)
        .order_by(Territory.name)).all()
    alone = db.session.scalar(select(func.count()).select_from(Commune)
                              .where(Commune.territory_id.is_(None)))
    return render_template("admin/territories/list.html", rows=rows, alone=alone,
                           form=form or TerritoryNameForm(formdata=None)), status


@bp.route("/territoires", methods=["GET", "POST"])
def territories():
    """Every territory with its communes and agents; create one."""
    if request.method == "GET":
        return _list_page()
    form = TerritoryNameForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        territory = actions.create_territory(form.name.data, _me())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _list_page(form, 422)
    db.session.commit()
    flash(_("Le territoire « %(name)s » est créé : choisissez ses communes.", name=territory.name),
          "success")
    return redirect(url_for(".territory", territory_id=territory.id))


def _load(territory_id: uuid.UUID) -> Territory:
    territory = db.session.get(Territory, territory_id)
    if territory is None:
        abort(404)
    return territory


def _territory_page(territory: Territory, name_form=None, communes_form=None, status: int = 200):
    if name_form is None:
        name_form = TerritoryNameForm(formdata=None, prefix="nom", name=territory.name)
    if communes_form is None:
        communes_form = TerritoryCommunesForm(formdata=None, prefix="communes")
    communes_form.load_choices(territory)
    agents = db.session.scalars(select(User).where(User.role == Role.AGENT,
                                                   User.territory_id == territory.id)
                                .order_by(func.lower(User.last_name))).all()
    return render_template("admin/territories/edit.html", territory=territory,
                           name_form=name_form, communes_form=communes_form,
                           agents=agents), status


@bp.route("/territoires/<uuid:territory_id>", methods=["GET", "POST"])
def territory(territory_id: uuid.UUID):
    """A territory: its name and its communes (two forms on the page)."""
    territory = _load(territory_id)
    if request.method == "GET":
        return _territory_page(territory)
    if "nom-name" in request.form:
        return _rename(territory)
    return _set_communes(territory)


def _rename(territory: Territory):
    form = TerritoryNameForm(prefix="nom")
    if not form.validate_on_submit():
        return _territory_page(territory, name_form=form, status=422)
    try:
        changed = actions.rename_territory(territory, form.name.data, _me())
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _territory_page(territory, name_form=form, status=422)
    db.session.commit()
    if changed:
        flash(_("Le territoire s'appelle maintenant « %(name)s ».", name=territory.name), "success")
    return redirect(url_for(".territory", territory_id=territory.id))


def _set_communes(territory: Territory):
    form = TerritoryCommunesForm(prefix="communes")
    form.load_choices(territory)
    if not form.validate_on_submit():
        return _territory_page(territory, communes_form=form, status=422)
    added, removed = actions.set_communes(territory, set(form.communes.data or []), _me())
    db.session.commit()
    flash(_("Communes enregistrées : %(added)s ajoutée(s), %(removed)s retirée(s).",
            added=len(added), removed=len(removed)), "success")
    return redirect(url_for(".territory", territory_id=territory.id))
