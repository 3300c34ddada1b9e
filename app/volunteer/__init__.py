"""Volunteers: vetting progress, proposals and visits."""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("volunteer", __name__)
restrict_blueprint(bp, Role.VOLUNTEER)

from app.volunteer import views  # noqa: E402,F401
