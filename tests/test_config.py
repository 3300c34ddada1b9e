"""Configuration fails fast in production; health check; error pages in French."""

from __future__ import annotations

import pytest

from app import create_app
from app.security.access import public
from config import ConfigurationError


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    """The variables production needs; each test removes the one it checks."""
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    return monkeypatch


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_production_refuses_to_start_without(production_env, name, value):
    if value is None:
        production_env.delenv(name)
    else:
        production_env.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        create_app("production")
    message = str(caught.value)
    assert name in message
    assert "\n" not in message


def test_production_starts_with_both(production_env):
    app = create_app({"ENV_NAME": "production", "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert not app.config.get("TESTING") and not app.debug


def test_unknown_environment_name_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("VOISINAGE_ENV", "prodution")
    with pytest.raises(ConfigurationError, match="VOISINAGE_ENV"):
        create_app()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_down(client, monkeypatch):
    from app.extensions import db

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_404_page_is_french(client):
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html
    assert "Not Found" not in html


def test_403_page_is_french(client, resident):
    client.login(*resident)
    response = client.get("/admin/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Accès refusé" in html and "Forbidden" not in html


def test_405_page_is_french(client):
    response = client.get("/deconnexion")
    assert response.status_code == 405
    assert "Cette adresse ne s'utilise pas de cette façon." in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]


def _app_with_a_bug(database_url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SERVER_NAME": "voisinage.test"})

    @app.route("/bug")
    @public
    def bug():
        raise ZeroDivisionError("secret detail of the crash")

    return app


def test_500_page_is_french_with_a_reference_and_no_traceback(database_url):
    app = _app_with_a_bug(database_url)
    response = app.test_client().get("/bug")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Le service a rencontré un problème" in html
    request_id = response.headers["X-Request-Id"]
    assert request_id and f"<code>{request_id}</code>" in html
    for leak in ("Traceback", "ZeroDivisionError", "secret detail", "Internal Server Error"):
        assert leak not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_500_for_json_clients_is_json_with_the_reference(database_url):
    app = _app_with_a_bug(database_url)
    response = app.test_client().get("/bug", headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = response.get_json()
    assert body["status"] == 500 and body["request_id"] == response.headers["X-Request-Id"]
    assert "secret detail" not in response.get_data(as_text=True)


def test_a_crash_is_logged_with_its_reference(database_url, caplog):
    app = _app_with_a_bug(database_url)
    response = app.test_client().get("/bug")
    record = next(r for r in caplog.records if r.name == "voisinage.errors")
    assert record.fields["request_id"] == response.headers["X-Request-Id"]
    assert record.exc_info is not None
