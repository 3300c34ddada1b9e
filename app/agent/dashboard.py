"""Agent console: the dashboard of the territory."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.agent import bp


@bp.route("/")
def home():
    """What needs doing now, with counts that link to their queues."""
    return render_template("agent/home.html", territory=current_user.territory)
