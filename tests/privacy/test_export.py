"""'Mes données': the JSON export walks every table linked to the person, and leaks no secret.

The coverage test computes, independently of the walker, every table with a foreign-key path to
``users``: a table added later that the walk would miss fails it until it is walked or excluded
with a reason.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Uuid

from app.models import Base
from app.privacy import export
from tests.privacy import world as w


def tables_with_a_path_to_users(metadata: MetaData) -> set[str]:
    """Every table from which foreign keys lead, in one or more steps, to ``users``."""
    linked = {"users"}
    grew = True
    while grew:
        grew = False
        for table in metadata.tables.values():
            if table.name not in linked and any(fk.column.table.name in linked
                                                for fk in table.foreign_keys):
                linked.add(table.name)
                grew = True
    return linked


def copy_of_the_models() -> MetaData:
    """The models' tables in a metadata of their own, for a test to add a table to."""
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    return metadata


def test_the_walk_covers_every_table_with_a_path_to_users():
    linked = tables_with_a_path_to_users(Base.metadata)
    assert {"visit_logs", "concern_notes", "campaign_calls", "vetting_steps"} <= linked
    missing = linked - export.planned_tables() - set(export.EXCLUDED_TABLES)
    assert not missing, f"tables linked to users that 'Mes données' does not export: {missing}"
    for name, reason in export.EXCLUDED_TABLES.items():
        assert reason.strip(), f"{name} is excluded without a reason"


def test_a_table_added_later_is_walked_without_anyone_listing_it():
    metadata = copy_of_the_models()
    Table("pets", metadata, Column("id", Integer, primary_key=True),
          Column("visit_id", Uuid, ForeignKey("visits.id", ondelete="CASCADE")))
    assert "pets" in tables_with_a_path_to_users(metadata)
    assert "pets" in export.planned_tables(metadata)


def test_a_table_reached_only_through_a_mention_fails_the_coverage():
    """The walk stops at rows that only mention the person (ON DELETE SET NULL): a table hanging
    below such a row is not exported, and the coverage test says so."""
    metadata = copy_of_the_models()
    Table("run_notes", metadata, Column("id", Integer, primary_key=True),
          Column("run_id", Uuid, ForeignKey("matching_runs.id", ondelete="CASCADE")))
    assert "run_notes" in tables_with_a_path_to_users(metadata)
    assert "run_notes" not in export.planned_tables(metadata)


@pytest.fixture
def people(place, agent):
    return w.build(place, agent[0])


def _download(client, user) -> tuple[dict, str]:
    client.login(user)
    response = client.get("/mes-donnees/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    return json.loads(body), body


def test_the_resident_gets_a_row_of_every_kind_and_no_secret(client, people):
    data, body = _download(client, people.resident)
    tables = data["tables"]
    assert data["person"] == str(people.resident.id)
    for name in ("users", "resident_profiles", "consent_records", "matches", "visits",
                 "visit_logs", "concerns", "concern_notes", "campaign_calls", "referrals",
                 "outbox_messages", "user_sessions", "password_reset_tokens", "audit_entries"):
        assert tables.get(name), f"the resident's export has no {name}"
    assert len(tables["visits"]) == 3
    about = {entry["action"] for entry in data["audit_entries_about_you"]}
    assert {"resident.register", "test.resident"} <= about
    for value in (*w.RESIDENT_SECRETS.values(), w.TEXTS["cancel_reason"], w.TEXTS["consent_by"]):
        assert value in body
    # What others wrote about them is withheld (PRODUCT.md §3), its row still listed.
    for value in (w.TEXTS["visit_note"], w.TEXTS["concern"], w.TEXTS["concern_note"],
                  w.TEXTS["call_note"], w.TEXTS["referrer"], w.TEXTS["referral_reason"],
                  w.TEXTS["match_reason"], "rosalinde@example.org"):
        assert value not in body
    assert tables["visit_logs"][0]["note"] == export.WITHHELD_MARK
    assert tables["visit_logs"][0]["mood"] == "good"
    # Secrets: the password hash, the session and reset token hashes are never exported.
    assert people.resident.password_hash not in body
    assert "password_hash" not in tables["users"][0]
    assert "token_hash" not in tables["password_reset_tokens"][0]
    assert all("id" not in row for row in tables["user_sessions"])
    assert "f" * 64 not in body
    # Nothing of the volunteer but ids: no name, phone, e-mail, calendar secret or vetting.
    for value in (*w.VOLUNTEER_SECRETS.values(), "k" * 43, w.TEXTS["vetting"]):
        assert value not in body
    assert "volunteer_profiles" not in tables or not tables["volunteer_profiles"]


def test_the_volunteer_gets_their_vetting_and_pairs_but_never_the_residents_address(client, people):
    data, body = _download(client, people.volunteer)
    tables = data["tables"]
    for name in ("volunteer_profiles", "vetting_steps", "matches", "visits", "visit_logs"):
        assert tables.get(name), f"the volunteer's export has no {name}"
    assert "calendar_token" not in tables["volunteer_profiles"][0]
    # Their own words are theirs: the visit note they wrote, the concern they raised.
    assert w.TEXTS["visit_note"] in body and w.TEXTS["concern"] in body
    assert w.TEXTS["concern_note"] not in body  # an agent's note
    assert "k" * 43 not in body
    for value in (w.RESIDENT_SECRETS["address"], w.RESIDENT_SECRETS["phone"],
                  w.RESIDENT_SECRETS["email"], w.RESIDENT_SECRETS["last_name"],
                  w.TEXTS["call_note"], w.TEXTS["referral_reason"]):
        assert value not in body


def test_an_agents_export_stops_at_the_rows_that_mention_them(client, people, agent):
    """The agent decided the pair: that row is theirs to see, not the resident's visits below."""
    data, body = _download(client, agent[0])
    tables = data["tables"]
    assert [row["id"] for row in tables["matches"]] == [str(people.match.id)]
    assert tables["matching_runs"] and tables["concern_notes"] and tables["settings"]
    assert not tables.get("visits") and not tables.get("visit_logs")
    assert w.TEXTS["visit_note"] not in body


def test_the_page_sums_up_what_is_held_and_offers_download_and_erasure(client, people):
    client.login(people.resident)
    page = client.get("/mes-donnees").get_data(as_text=True)
    assert "/mes-donnees/export.json" in page and "/mes-donnees/effacer" in page
    assert "Visites" in page and "Comptes rendus de visite" in page


def test_the_export_needs_a_login(client):
    response = client.get("/mes-donnees/export.json")
    assert response.status_code == 302 and response.location.startswith("/connexion")
