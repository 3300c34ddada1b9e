"""Agent console: followup (being built)."""

from app.agent import bp  # noqa: F401
