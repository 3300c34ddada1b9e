"""HTTP hardening: oversized bodies get a French 413, exact security headers on every kind of
answer (page, redirect, 403, 404, 405, 413, 500, static file), and no version banner from the
real server (gunicorn with the production settings).
"""

from __future__ import annotations

import io

import pytest
import requests

from app import create_app
from tests.factories import LoggingClient
from tests.live import LiveServer
from tests.security.world import Browser

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
#: Every answer carries exactly these.
EXACT = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=(), interest-cohort=()",
}
#: None of these may tell what runs the site.
BANNERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime")
TOO_BIG = "x" * (2 * 1024 * 1024 + 1)


def assert_headers(response, cache: str | None = "no-store") -> None:
    for name, value in EXACT.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    for name in BANNERS:
        assert name not in response.headers, name
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP outside production
    if cache is not None:
        assert response.headers.get("Cache-Control") == cache


def test_limit_is_two_mebibytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


@pytest.mark.parametrize("url", ["/connexion", "/mot-de-passe/oubli", "/signaler",
                                 "/inscription/habitant"])
def test_oversized_public_forms_get_a_french_413(client, place, url):
    for kwargs in ({"data": {"x": TOO_BIG}},
                   {"data": {"f": (io.BytesIO(TOO_BIG.encode()), "a.txt")},
                    "content_type": "multipart/form-data"},
                   {"data": TOO_BIG, "content_type": "application/json"}):
        response = client.post(url, **kwargs)
        assert response.status_code == 413, (url, kwargs.get("content_type"))
        assert "trop volumineux" in response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        assert_headers(response)


def test_oversized_posts_of_logged_in_people_get_413(app, place):
    from tests.security.world import make_world

    world = make_world(place)
    for user, url, says in (
            (world.a.resident, "/habitant/mon-profil", "trop volumineux"),
            (world.a.volunteer, f"/benevole/binome/{world.a.match.id}/alerte", "trop volumineux"),
            (world.a.agent, "/agent/habitants/nouveau", "trop volumineux"),
            (world.admin, "/admin/quartiers/import", "Le fichier dépasse 1 Mo")):
        browser = Browser(app, user)
        response = browser.post(url, {"x": TOO_BIG})
        assert response.status_code == 413, url
        assert says in response.get_data(as_text=True), url
        assert_headers(response)


def test_json_clients_get_a_json_413(client):
    response = client.post("/connexion", data=TOO_BIG, content_type="application/json",
                           headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_exact_headers_on_every_kind_of_answer(app, client, resident):
    anonymous = [(client.get("/"), 200, None), (client.get("/connexion"), 200, "no-store"),
                 (client.get("/habitant/"), 302, "no-store"), (client.get("/nulle-part"), 404,
                                                               "no-store"),
                 (client.get("/deconnexion"), 405, "no-store"),
                 (client.post("/connexion", data={"x": TOO_BIG}), 413, "no-store")]
    for response, status, cache in anonymous:
        assert response.status_code == status
        assert_headers(response, cache)
    static = client.get("/static/css/voisinage.css")
    assert static.status_code == 200
    assert_headers(static, cache=None)
    assert "no-store" not in static.headers.get("Cache-Control", "")
    LoggingClient.wrap(client).login(*resident)
    for url, status in (("/habitant/", 200), ("/admin/", 403), ("/agent/", 403),
                        ("/nulle-part", 404), ("/static/css/voisinage.css", 200)):
        response = client.get(url)
        assert response.status_code == status, url
        assert_headers(response, None if url.startswith("/static") else "no-store")


def test_exact_headers_on_a_500(database_url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boum")
    def boom():
        raise RuntimeError("détail interne 8c1f")

    boom._voisinage_public = True
    response = app.test_client().get("/boum")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "8c1f" not in page and "Traceback" not in page and "RuntimeError" not in page
    assert_headers(response)


def test_the_real_server_shows_no_version_banner(database_url):
    """gunicorn with deploy/gunicorn.conf.py: its Server header names no software nor version."""
    with LiveServer(database_url, workers=1, threads=1) as server:
        for path in ("/", "/nulle-part", "/static/css/voisinage.css"):
            response = requests.get(server.url + path, timeout=10)
            banner = response.headers.get("Server", "")
            assert "gunicorn" not in banner.lower() and not any(c.isdigit() for c in banner), \
                (path, banner)
            for name, value in EXACT.items():
                assert response.headers.get(name) == value, (path, name)
        big = requests.post(server.url + "/connexion", data={"x": TOO_BIG}, timeout=30)
        assert big.status_code == 413
