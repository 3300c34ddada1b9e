"""Administration: the overview page."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from app.admin import bp
from app.extensions import db
from app.models import Commune, Neighbourhood, Role, Territory, User


@bp.route("/")
def home():
    """Territories, communes, neighbourhoods and agents at a glance, in one query."""
    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    row = db.session.execute(select(
        count(Territory).label("territories"),
        count(Commune).label("communes"),
        count(Commune, Commune.territory_id.is_(None)).label("communes_alone"),
        count(Neighbourhood).label("neighbourhoods"),
        count(User, User.role == Role.AGENT, User.is_enabled.is_(True)).label("agents"),
        count(User, User.role == Role.AGENT, User.is_enabled.is_(False)).label("agents_disabled"),
    )).one()
    return render_template("admin/home.html", counts=row._mapping)
