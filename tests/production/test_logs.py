"""Structured logs and the error page: exact fields a line, request ids, no traceback shown.

Under a second: the app in process, a handler with the production formatter on its logger.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta

import pytest

from app.logs import JsonFormatter
from app.security.access import public

#: The fields every access line carries (issue 7), besides the message and the logger's name.
ACCESS_FIELDS = {"time", "level", "request_id", "user_id", "route", "method", "status",
                 "duration_ms"}


@pytest.fixture
def json_lines():
    """Lines the ``voisinage`` loggers write, formatted as in production, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("voisinage")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def failing_app(app):
    """The app with one more public route that fails as a bug would."""
    @public
    def broken(n: int):
        raise RuntimeError("secret detail of a bug")

    app.add_url_rule("/test-broken/<int:n>", "test_broken", broken)
    return app


def test_an_access_line_is_one_json_object_with_the_listed_fields(client, resident, json_lines):
    user, password = resident
    client.login(user, password)
    client.get("/habitant/", headers={"X-Request-Id": "abc123"})

    line = next(r for r in json_lines() if r.get("request_id") == "abc123")
    assert ACCESS_FIELDS <= set(line), ACCESS_FIELDS - set(line)
    assert line["level"] == "INFO"
    assert line["user_id"] == str(user.id)
    assert line["route"] == "/habitant/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 60_000
    when = datetime.fromisoformat(line["time"])
    assert when.utcoffset() == timedelta(0), "time is not in UTC"


def test_anonymous_lines_have_no_user_and_every_request_gets_its_own_id(client, json_lines):
    first = client.get("/").headers["X-Request-Id"]
    second = client.get("/").headers["X-Request-Id"]
    assert first and second and first != second
    lines = [r for r in json_lines() if r.get("request_id") in (first, second)]
    assert len(lines) == 2 and all(r["user_id"] is None for r in lines)


def test_an_unhandled_error_shows_a_french_page_with_the_request_id_and_no_traceback(
        failing_app, json_lines):
    client = failing_app.test_client()
    response = client.get("/test-broken/7", headers={"X-Request-Id": "req-42"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Le service a rencontré un problème" in page
    assert "Référence de l'incident" in page and "req-42" in page
    for leak in ("Traceback", "RuntimeError", "secret detail", "test_logs.py"):
        assert leak not in page, leak
    assert response.headers["Content-Type"].startswith("text/html")

    lines = [r for r in json_lines() if r.get("request_id") == "req-42"]
    error = next(r for r in lines if r["level"] == "ERROR")
    assert "RuntimeError" in error["exception"], "the log keeps what the page hides"
    assert error["route"] == "/test-broken/<int:n>"
    assert any(r.get("status") == 500 for r in lines), "no access line for the failed request"


def test_a_json_client_gets_the_request_id_and_no_traceback_either(failing_app):
    response = failing_app.test_client().get(
        "/test-broken/1", headers={"Accept": "application/json", "X-Request-Id": "req-43"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal Server Error", "status": 500,
                                   "request_id": "req-43"}


def test_a_forged_request_id_is_cut_to_64_characters(client):
    assert client.get("/", headers={"X-Request-Id": "x" * 500}).headers["X-Request-Id"] == "x" * 64


def test_the_latest_app_decides_the_format_of_the_one_handler(app):
    from app import create_app

    def ours() -> list[logging.Handler]:
        return [h for h in logging.getLogger("voisinage").handlers if h.get_name() == "voisinage"]

    create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_JSON": True})
    assert len(ours()) == 1 and isinstance(ours()[0].formatter, JsonFormatter)
    create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(ours()) == 1 and not isinstance(ours()[0].formatter, JsonFormatter)
