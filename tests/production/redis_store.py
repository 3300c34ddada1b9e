"""The real Redis for tests: a database number per xdist worker and a key prefix per test.

Redis runs on 127.0.0.1:6379 in CI (``.ci/run`` starts it). Without it, the tests that need it
are skipped on a developer's SQLite run and fail on a PostgreSQL or CI run, where it must exist.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def _database_number() -> int:
    # gw0 -> 1, gw1 -> 2, … (database 0 is production's default, never touched by tests).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = "".join(ch for ch in worker if ch.isdigit()) or "0"
    return 1 + int(digits) % 15


@dataclass(frozen=True)
class RedisStore:
    """Where a test's limiter counters live, and a client to look at them."""

    url: str
    prefix: str
    client: object

    def keys(self) -> list[str]:
        """The limiter's keys of this test (account counters are keyed by e-mail instead, and
        expire on their own within 15 minutes)."""
        return [k.decode() for k in self.client.scan_iter(f"*{self.prefix}*")]


@pytest.fixture
def redis_store() -> Iterator[RedisStore]:
    """A Redis database and key prefix of this test; its keys are deleted afterwards."""
    import redis

    number = _database_number()
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") or os.environ.get("TEST_DATABASE_URL"):
            pytest.fail(f"Redis must run on {REDIS_HOST}:{REDIS_PORT} for this run: {exc}")
        pytest.skip(f"no Redis on {REDIS_HOST}:{REDIS_PORT} (start it to test shared limiter storage)")
    store = RedisStore(url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}",
                       prefix=f"test-{uuid.uuid4().hex[:12]}", client=client)
    yield store
    for key in client.scan_iter(f"*{store.prefix}*"):
        client.delete(key)
    client.close()


def unique_email() -> str:
    """An address no other test (in any process sharing Redis) uses: account counters are keyed
    by e-mail, outside the limiter's key prefix."""
    return f"p{uuid.uuid4().hex[:16]}@example.org"
