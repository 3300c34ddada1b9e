"""Agent console: the audit log, read-only (being built)."""

from app.agent import bp  # noqa: F401
