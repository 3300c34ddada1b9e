"""Resident pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.resident import bp


@bp.route("/")
def home():
    """Where the request stands, in plain words."""
    return render_template("resident/home.html", profile=current_user.resident_profile)
