"""Agent console: vetting (being built)."""

from app.agent import bp  # noqa: F401
