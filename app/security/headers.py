"""HTTP security headers on every response (pages, errors, static files), via Flask-Talisman."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from flask_talisman import Talisman

#: Everything from our own origin; no inline script, no framing, no plugins.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"geolocation": "()", "camera": "()", "microphone": "()", "interest-cohort": "()"}
#: Public endpoints whose answer must be fresh every time (a cached "ok" would hide an outage).
NEVER_CACHED = frozenset({"public.healthz"})


def install_headers(app: Flask) -> None:
    """Talisman for the standard headers, plus no-store on pages that may hold personal data.

    One Talisman per app: it keeps its settings (and the app) on itself, so a shared instance
    would give every app the settings of the last one created.
    """
    production = bool(app.config.get("FORCE_HTTPS"))
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_max_age=63072000,
        strict_transport_security_include_subdomains=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="no-referrer",
        permissions_policy=PERMISSIONS_POLICY,
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )

    @app.after_request
    def _cache_and_banner(response):
        # Personal pages must not stay in a shared computer's cache or a proxy: only static
        # files and public pages seen anonymously may be cached.
        if request.endpoint != "static" and not _anonymous_public_page(response):
            response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Server", None)
        return response


def _anonymous_public_page(response) -> bool:
    return (
        not current_user.is_authenticated
        and request.method == "GET"
        and response.status_code < 400
        and (request.endpoint or "").startswith("public.")
        and request.endpoint not in NEVER_CACHED
    )
