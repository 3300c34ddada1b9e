"""Password hashing (argon2id) and the password policy (length, not a common password)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
MAX_LENGTH = 128


def _hasher() -> PasswordHasher:
    """The argon2id hasher configured for this app (cheaper in tests only)."""
    config = current_app.config
    return _build_hasher(config.get("ARGON2_TIME_COST", 3), config.get("ARGON2_MEMORY_COST", 65536))


@lru_cache(maxsize=4)
def _build_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=2, type=Type.ID)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time on a dummy one.

    Spending the time either way keeps known and unknown e-mail addresses indistinguishable.
    """
    hasher = _hasher()
    target = stored_hash or _dummy_hash(hasher.time_cost, hasher.memory_cost)
    try:
        ok = hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return _build_hasher(time_cost, memory_cost).hash("not a password of anyone")


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Passwords too common to accept, folded (app/data/common-passwords.txt)."""
    text = resources.files("app.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(_folded(line) for line in text.splitlines() if line.strip())


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None; no composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    folded = _folded(password)
    if folded in common_passwords() or len(set(folded)) < 4 or _repeats_a_short_unit(folded):
        return "too_common"
    return None


def _folded(password: str) -> str:
    """What the common-password check compares: NFKC, lower case, without spaces.

    "MotDePasse123 ", "motdepasse 123" and "ｍｏｔｄｅｐａｓｓｅ123" are the same weak password.
    """
    return "".join(unicodedata.normalize("NFKC", password).lower().split())


def _repeats_a_short_unit(folded: str) -> bool:
    """A unit of at most 4 characters said again and again, such as abcdabcdabcd."""
    return any(len(folded) % n == 0 and folded == folded[:n] * (len(folded) // n)
               for n in range(1, 5))
