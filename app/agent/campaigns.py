"""Agent console: campaigns (being built)."""

from app.agent import bp  # noqa: F401
