"""Login throttling per account, on the limiter's shared storage (memory or Redis).

Per address, Flask-Limiter's decorator answers 429. Per account, failures are counted whatever
the address; past the limit the account is refused for a while, known or not, so the answer
never tells whether an address has an account.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from app.extensions import limiter


def _key(kind: str, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"voisinage/{kind}/{digest}"


def account_locked(email: str) -> bool:
    """Whether logins to this account are refused for now."""
    return limiter.storage.get(_key("lock", email)) > 0


def record_failure(email: str) -> None:
    """Count a failed login; lock the account when the limit is reached within the window."""
    config = current_app.config
    # Whole seconds: the Redis storage's script refuses a fractional expiry (a 500 on login).
    window = int(config["LOGIN_ACCOUNT_WINDOW"].total_seconds())
    failures = limiter.storage.incr(_key("fail", email), window)
    if failures >= config["LOGIN_LIMIT_PER_ACCOUNT"]:
        limiter.storage.incr(_key("lock", email), int(config["LOGIN_ACCOUNT_LOCK"].total_seconds()))


def clear_failures(email: str) -> None:
    """Forget failures after a successful login."""
    limiter.storage.clear(_key("fail", email))


def unlock(email: str) -> None:
    """Lift a lock and forget failures (after the owner reset their password)."""
    clear_failures(email)
    limiter.storage.clear(_key("lock", email))
