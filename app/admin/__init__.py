"""Administrators: territories, neighbourhoods, agents and settings."""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("admin", __name__)
restrict_blueprint(bp, Role.ADMIN)

from app.admin import views  # noqa: E402,F401
