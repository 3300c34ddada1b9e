"""Residents: their request, their visits and their volunteer."""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("resident", __name__)
restrict_blueprint(bp, Role.RESIDENT)

from app.resident import views  # noqa: E402,F401
