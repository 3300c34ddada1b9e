"""Volunteer pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.volunteer import bp


@bp.route("/")
def home():
    """Vetting progress, and later proposals and visits."""
    return render_template("volunteer/home.html", profile=current_user.volunteer_profile)
