"""Agents of the collectivité (and administrators): the console of their territory.

One module per area of the console; every query goes through :mod:`app.agent.scope` so an
agent only ever sees their own territory's records (an administrator sees all).
"""

from flask import Blueprint

from app.models import Role
from app.security.access import restrict_blueprint

bp = Blueprint("agent", __name__)
restrict_blueprint(bp, Role.AGENT, Role.ADMIN)

from app.agent import (  # noqa: E402,F401
    audit_log,
    campaigns,
    dashboard,
    exports,
    followup,
    proposals,
    referrals,
    residents,
    stats,
    vetting,
)
