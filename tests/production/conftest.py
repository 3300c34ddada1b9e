"""Fixtures of the production tests (real Redis, several servers)."""

from tests.production.redis_store import redis_store  # noqa: F401  (a fixture)
