"""Agent console: proposals (being built)."""

from app.agent import bp  # noqa: F401
