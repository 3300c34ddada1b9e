"""Agent console."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.agent import bp


@bp.route("/")
def home():
    """The dashboard of the agent's territory (filled in by the agent console issue)."""
    return render_template("agent/home.html", territory=current_user.territory)
