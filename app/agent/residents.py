"""Agent console: residents (being built)."""

from app.agent import bp  # noqa: F401
