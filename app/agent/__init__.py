"""Agents of the collectivité (and administrators): the console of their territory."""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("agent", __name__)
restrict_blueprint(bp, Role.AGENT, Role.ADMIN)

from app.agent import views  # noqa: E402,F401
