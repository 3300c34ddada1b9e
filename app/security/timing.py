"""Answers that take the same time whether an e-mail address has an account or not.

A reset request for a known address writes a token, an e-mail and an audit line; for an unknown
one it writes nothing. On PostgreSQL the difference is about 4x, enough to enumerate accounts.
The work is padded to a floor (``EQUAL_ANSWER_SECONDS``, 0.1 s by default) well above its cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

DEFAULT_FLOOR_SECONDS = 0.1


@contextmanager
def equal_time() -> Iterator[None]:
    """Run the block, then wait until the floor is reached (never shorter, maybe longer)."""
    floor = float(current_app.config.get("EQUAL_ANSWER_SECONDS", DEFAULT_FLOOR_SECONDS))
    started = time.perf_counter()
    yield
    remaining = floor - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)
