"""What the scans found, kept as plain regression tests (each was a 500)."""

from __future__ import annotations

import io

import pytest

from tests.security.world import Browser, make_world


@pytest.fixture
def world(place):
    return make_world(place)


@pytest.mark.parametrize("text", ["\x00", "avant\x00après", "\x1b[31m"])
def test_a_control_character_in_a_text_area_is_refused_not_a_500(app, world, text):
    """PostgreSQL refuses NUL in text: the fuzzing found concern notes failing there."""
    agent = Browser(app, world.a.agent)
    response = agent.post(f"/agent/alertes/{world.a.ids['concern_id']}/note", {"body": text})
    assert response.status_code == 422
    assert "caractère invisible non autorisé" in response.get_data(as_text=True)
    volunteer = Browser(app, world.a.volunteer)
    response = volunteer.post(f"/benevole/binome/{world.a.match.id}/alerte",
                              {"description": text, "severity": "high"})
    assert response.status_code == 422


def test_line_breaks_and_tabs_stay_welcome_in_a_text_area(app, world):
    agent = Browser(app, world.a.agent)
    response = agent.post(f"/agent/alertes/{world.a.ids['concern_id']}/note",
                          {"body": "Première ligne\r\n\tdeuxième"})
    assert response.status_code in (302, 303)


def test_an_unreadable_csv_header_is_refused_not_a_500(app, world):
    """A lone carriage return in the header made the csv module raise: the fuzzing found it."""
    admin = Browser(app, world.admin)
    data = {"file": (io.BytesIO(b"commune_insee,name\r,latitude,longitude\n"), "q.csv")}
    response = admin.post("/admin/quartiers/import", data,
                          content_type="multipart/form-data")
    assert response.status_code == 422
    assert "new-line character" in response.get_data(as_text=True)  # the csv module's reason
