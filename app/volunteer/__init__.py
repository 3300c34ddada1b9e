"""Volunteers: vetting progress, proposals, pairs, visits, concerns and the calendar feed."""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("volunteer", __name__)
restrict_blueprint(bp, Role.VOLUNTEER)

from app.volunteer import calendar, views  # noqa: E402,F401
