"""Administrators: territories, communes and neighbourhoods, agent accounts, settings.

One module per area; the operations themselves (checks, changes, audit entries) are in
:mod:`app.admin.actions`, so the views only parse the form, call them and answer.
"""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("admin", __name__)
restrict_blueprint(bp, Role.ADMIN)

from app.admin import agents, overview, places, settings, territories  # noqa: E402,F401
