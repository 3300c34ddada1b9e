"""Agent console: stats (being built)."""

from app.agent import bp  # noqa: F401
