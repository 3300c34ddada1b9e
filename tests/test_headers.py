"""HTTP security headers on pages, error pages and static files; no caching of personal pages."""

from __future__ import annotations

import pytest

from app import create_app
from tests.factories import LoggingClient

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
STATIC = "/static/css/voisinage.css"


def assert_security_headers(response) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "Server" not in headers
    assert "Strict-Transport-Security" not in headers  # plain HTTP in tests; see production


@pytest.mark.parametrize("url, status", [
    ("/", 200), ("/connexion", 200), ("/inscription/habitant", 200), ("/nulle-part", 404),
    (STATIC, 200),
])
def test_security_headers_everywhere(client, place, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert_security_headers(response)


def test_security_headers_on_errors_and_redirects(client, resident):
    assert_security_headers(client.get("/deconnexion"))          # 405
    assert_security_headers(client.get("/habitant/"))            # 302 to the login page
    client.login(*resident)
    assert_security_headers(client.get("/admin/"))               # 403


def test_logged_in_pages_are_not_stored(client, resident):
    client.login(*resident)
    for url in ("/habitant/", "/", "/comment-ca-marche", "/compte/mot-de-passe"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store", url


@pytest.mark.parametrize("url", ["/nulle-part", "/deconnexion", "/connexion", "/healthz"])
def test_error_and_account_pages_are_not_stored(client, url):
    assert client.get(url).headers["Cache-Control"] == "no-store"


def test_forbidden_page_is_not_stored(client, resident):
    client.login(*resident)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_may_be_cached_when_anonymous(client):
    assert "no-store" not in client.get("/comment-ca-marche").headers.get("Cache-Control", "")
    static = client.get(STATIC)
    assert "no-store" not in static.headers.get("Cache-Control", "")
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_production_adds_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    prod = create_app({"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"})
    response = prod.test_client().get(STATIC, base_url="https://voisinage.example")
    assert response.headers["Strict-Transport-Security"] == \
        "max-age=63072000; includeSubDomains"
    assert response.headers["Content-Security-Policy"] == CSP


def test_each_app_keeps_its_own_header_settings(app, client, monkeypatch, tmp_path):
    """A production app created later must not turn this app's HTTP into HTTPS redirects."""
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    prod = create_app({"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"})
    response = client.get("/connexion")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("voisinage_session="))
    assert "Secure" not in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert prod.test_client().get("/connexion").status_code in (301, 302)  # still HTTPS-only


def test_language_cookie_flags(client):
    response = LoggingClient.wrap(client).get("/langue/en?next=/")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
