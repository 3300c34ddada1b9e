"""Configuration classes: development (SQLite, demo), testing, production (PostgreSQL, Redis).

Every value can be overridden by an environment variable of the same name. Production refuses
to start without ``SECRET_KEY`` and ``DATABASE_URL``; the check runs when the app is created
(:meth:`ProductionConfig.check`), not at import, so tooling can import this module freely.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigurationError(RuntimeError):
    """A required setting is missing or invalid; the message is one line naming it."""


def env(name: str, default: str | None = None) -> str | None:
    """Read a setting from the environment, treating an empty value as missing."""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def env_int(name: str, default: int) -> int:
    """Read an integer setting; a malformed value is a configuration error, not a crash."""
    raw = env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(
        env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'voisinage.db'}")
    )
    # hide_parameters: a database error's text (logged with its traceback) must not carry the
    # statement's values, which are addresses, phone numbers, notes and password hashes.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    # The collectivité that runs the service: configuration, never code.
    ORGANISATION_NAME = env("ORGANISATION_NAME", "Communauté d'agglomération Pau Béarn Pyrénées")
    ORGANISATION_PHONE = env("ORGANISATION_PHONE", "05 59 00 00 00")
    ORGANISATION_EMAIL = env("ORGANISATION_EMAIL", "voisinage@example.org")
    ORGANISATION_ADDRESS = env("ORGANISATION_ADDRESS", "Hôtel de ville, place Royale, 64000 Pau")
    SERVICE_NAME = env("SERVICE_NAME", "Voisinage")
    CHARTER_VERSION = env("CHARTER_VERSION", "2026-1")

    # Sessions: server-side records (see app.auth.sessions); the cookie only carries their id.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "voisinage_session"
    REMEMBER_COOKIE_HTTPONLY = True
    # The cookie (and so the CSRF token of a form left open) lives 30 days; the server-side
    # session row decides sooner: agents 30 minutes idle or 12 hours, others 14 days idle.
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    AGENT_IDLE_TIMEOUT = timedelta(minutes=30)
    AGENT_MAX_SESSION = timedelta(hours=12)
    MEMBER_IDLE_TIMEOUT = timedelta(days=14)
    MEMBER_MAX_SESSION = timedelta(days=30)

    # CSRF tokens live as long as the session: a slow person must never lose a form to expiry.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True

    # Throttling (Flask-Limiter); memory in development, Redis in production.
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Stated explicitly: the limiter is a module-level extension and would otherwise keep the
    # "disabled" flag of an earlier app built in the same process.
    RATELIMIT_ENABLED = True
    LOGIN_LIMIT_PER_IP = "10 per minute"
    LOGIN_LIMIT_PER_ACCOUNT = 5
    # 5 failures within 15 minutes lock the account 15 minutes (stricter than "5 in a minute":
    # an attacker cannot keep trying 4 times a minute for ever). A password reset lifts the lock.
    LOGIN_ACCOUNT_WINDOW = timedelta(minutes=15)
    LOGIN_ACCOUNT_LOCK = timedelta(minutes=15)

    PASSWORD_RESET_VALIDITY = timedelta(minutes=30)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Mail: the outbox worker hands messages to Flask-Mailman.
    MAIL_BACKEND = env("MAIL_BACKEND", "console")
    MAIL_FILE_PATH = env("MAIL_FILE_PATH", str(INSTANCE_DIR / "mail"))
    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "Voisinage <ne-pas-repondre@example.org>")
    #: Seconds an SMTP exchange may take; far below the outbox worker's 15-minute claim.
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)
    #: "log" (no provider: messages are logged, masked, and marked sent) or "package.module:Factory".
    SMS_SENDER = env("SMS_SENDER", "log")

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    LOG_JSON = False
    FORCE_HTTPS = False
    #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0 = none).
    PROXY_HOPS = env_int("PROXY_HOPS", 0)

    @classmethod
    def check(cls) -> None:
        """Refuse settings that cannot work; overridden where stricter rules apply."""


class DevelopmentConfig(Config):
    """A newcomer's machine: SQLite file in instance/, mail printed on the console."""

    DEBUG = False
    SECRET_KEY = env("SECRET_KEY", "dev-only-not-secret")


class TestingConfig(Config):
    """The test suite: an isolated database given by the fixtures, mail kept in memory."""

    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = sqlalchemy_url(env("TEST_DATABASE_URL", "sqlite://"))
    MAIL_BACKEND = "locmem"
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = True
    # Fast hashes in tests only; production parameters are checked by their own test.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64


class ProductionConfig(Config):
    """PostgreSQL, Redis, secure cookies, JSON logs, HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    LOG_JSON = True
    FORCE_HTTPS = True
    # Behind the load balancer: trust one proxy for the client address, scheme and host.
    PROXY_HOPS = env_int("PROXY_HOPS", 1)
    MAIL_BACKEND = env("MAIL_BACKEND", "smtp")
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")

    @classmethod
    def check(cls) -> None:
        """Fail fast, in one line, when a secret or the database is missing."""
        for name in ("SECRET_KEY", "DATABASE_URL"):
            if env(name) is None:
                raise ConfigurationError(f"{name} must be set in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    """Pick the configuration class named by ``name`` or ``VOISINAGE_ENV``."""
    key = name or env("VOISINAGE_ENV", "development")
    try:
        return CONFIGS[key]
    except KeyError as exc:
        raise ConfigurationError(
            f"VOISINAGE_ENV must be one of {', '.join(CONFIGS)}, got {key!r}"
        ) from exc
