"""Administration pages."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from app.admin import bp
from app.extensions import db
from app.models import Commune, Neighbourhood, Territory


@bp.route("/")
def home():
    """Territories, communes and neighbourhoods at a glance."""
    counts = {
        "territories": db.session.scalar(select(func.count()).select_from(Territory)),
        "communes": db.session.scalar(select(func.count()).select_from(Commune)),
        "neighbourhoods": db.session.scalar(select(func.count()).select_from(Neighbourhood)),
    }
    return render_template("admin/home.html", counts=counts)
