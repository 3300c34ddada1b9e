"""Heat-wave and cold-wave campaigns: the call list, ticking calls, closing, the CSV export."""

from __future__ import annotations

import csv
import io
import re
import uuid
from html import unescape

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    CallStatus,
    Campaign,
    CampaignCall,
    CampaignKind,
    Concern,
    ConcernSource,
    RequestStatus,
    Severity,
    utcnow,
)
from app.services import campaigns
from app.services.errors import DomainError, InvalidTransition
from tests import factories
from tests.agent.test_dashboard import login, make_active, measure

#: An id that exists nowhere (fixed, so parallel workers collect the same tests).
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _residents(place):
    """Territory A: open, paused, closed, erased; territory B: one open."""
    made = {}
    for key, status in (("open", RequestStatus.OPEN), ("paused", RequestStatus.PAUSED),
                        ("closed", RequestStatus.CLOSED), ("erased", RequestStatus.OPEN)):
        user, _ = factories.make_resident(place.nb_a, first=key.capitalize(), with_login=False)
        user.resident_profile.status = status
        made[key] = user
    made["erased"].anonymised_at = utcnow()
    made["other"], _ = factories.make_resident(place.nb_b, first="Autre", with_login=False)
    db.session.commit()
    return made


def _create(client, data, page="/agent/campagnes", **kwargs):
    return client.post_form("/agent/campagnes", data, page=page, **kwargs)


def _only_campaign() -> Campaign:
    return db.session.scalar(select(Campaign))


def _calls(campaign) -> list[CampaignCall]:
    return list(db.session.scalars(select(CampaignCall).where(CampaignCall.campaign_id == campaign.id)))


# Building the call list --------------------------------------------------------------------

def test_create_builds_the_list_of_open_and_paused_residents_of_the_territory(client, place, agent):
    people = _residents(place)
    login(client, agent)
    response = _create(client, {"kind": "heatwave", "name": "Canicule juillet 2026"})
    campaign = _only_campaign()
    assert response.status_code == 302 and response.location.endswith(f"/agent/campagnes/{campaign.id}")
    assert campaign.territory_id == place.territory_a.id and campaign.kind is CampaignKind.HEATWAVE
    assert campaign.created_by_id == agent[0].id
    called = {c.resident_id for c in _calls(campaign)}
    assert called == {people["open"].resident_profile.id, people["paused"].resident_profile.id}
    assert {c.status for c in _calls(campaign)} == {CallStatus.PENDING}
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.create"))
    assert entry.territory_id == place.territory_a.id and entry.detail["calls"] == 2
    html = client.get(response.location).get_data(as_text=True)
    assert "Canicule juillet 2026" in html and "0 appel(s) fait(s) sur 2 : 0 %" in html


def test_service_builds_each_list_once_with_unique_ids(place, agent):
    _residents(place)
    heat = campaigns.create_campaign(place.territory_a, CampaignKind.HEATWAVE, "Canicule", agent[0])
    cold = campaigns.create_campaign(place.territory_a, CampaignKind.COLD, "Grand froid", agent[0])
    db.session.commit()
    calls = list(db.session.scalars(select(CampaignCall)))
    assert len(calls) == 4 and len({c.id for c in calls}) == 4
    assert all(isinstance(c.id, uuid.UUID) for c in calls)
    assert {c.campaign_id for c in calls} == {heat.id, cold.id}
    # No duplicate within a campaign (the database refuses them too).
    assert db.session.scalar(
        select(func.count(func.distinct(CampaignCall.resident_id))).where(
            CampaignCall.campaign_id == heat.id)) == 2


def test_a_second_open_campaign_of_the_same_kind_is_refused(client, place, agent):
    _residents(place)
    login(client, agent)
    _create(client, {"kind": "cold", "name": "Grand froid janvier"})
    response = _create(client, {"kind": "cold", "name": "Grand froid bis"})
    assert response.status_code == 422
    assert 'id="kind-error"' in response.get_data(as_text=True)
    assert "Grand froid bis" in response.get_data(as_text=True)   # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "heatwave", "name": "  "}, "name"),
    ({"kind": "heatwave", "name": "x" * 121}, "name"),
    ({"kind": "flood", "name": "Inondation"}, "kind"),
    ({"name": "Sans type"}, "kind"),
    ({"kind": "heatwave", "name": "Cani\x00cule"}, "name"),
])
def test_bad_input_is_refused_next_to_the_field(client, place, agent, data, field):
    login(client, agent)
    response = _create(client, data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_admin_picks_the_territory(client, place, admin):
    people = _residents(place)
    login(client, admin)
    response = _create(client, {"kind": "heatwave", "name": "Canicule B"})
    assert response.status_code == 422 and 'id="territory-error"' in response.get_data(as_text=True)
    _create(client, {"kind": "heatwave", "name": "Canicule B", "territory": str(place.territory_b.id)})
    campaign = _only_campaign()
    assert campaign.territory_id == place.territory_b.id
    assert [c.resident_id for c in _calls(campaign)] == [people["other"].resident_profile.id]


# Ticking calls -------------------------------------------------------------------------------

def _campaign_with_calls(place, agent_user, n=None):
    _residents(place)
    campaign = campaigns.create_campaign(place.territory_a, CampaignKind.HEATWAVE,
                                         "Plan canicule A", agent_user)
    db.session.commit()
    return campaign


def _call_of(campaign, first_name) -> CampaignCall:
    return next(c for c in _calls(campaign) if c.resident.user.first_name == first_name)


def _field(call: CampaignCall, name: str) -> str:
    return f"appel-{call.id.hex[:12]}-{name}"


def test_tick_reached_and_not_reached_with_progress(client, place, agent):
    campaign = _campaign_with_calls(place, agent[0])
    login(client, agent)
    page = f"/agent/campagnes/{campaign.id}"
    first, second = _call_of(campaign, "Open"), _call_of(campaign, "Paused")
    response = client.post_form(f"{page}/appels/{first.id}",
                                {_field(first, "status"): "reached", _field(first, "note"): "Va bien"},
                                page=page)
    assert response.status_code == 302 and response.location.endswith(f"#appel-{first.id}")
    assert "Enregistré." in client.get(response.location).get_data(as_text=True)
    client.post_form(f"{page}/appels/{second.id}", {_field(second, "status"): "not_reached"},
                     page=page)
    db.session.refresh(first)
    assert first.status is CallStatus.REACHED and first.note == "Va bien"
    assert first.called_by_id == agent[0].id and first.called_at is not None
    html = " ".join(client.get(page).get_data(as_text=True).split())
    assert "2 appel(s) fait(s) sur 2 : 100 %" in html
    assert "Joint·e</dt><dd>1</dd>" in html and "Pas joint·e</dt><dd>1</dd>" in html
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "campaign.call")) == 2
    # Filter the list by outcome.
    html = client.get(f"{page}?etat=pending").get_data(as_text=True)
    assert "Personne dans cette liste" in html


def test_visit_needed_opens_one_urgent_concern(client, place, agent):
    campaign = _campaign_with_calls(place, agent[0])
    login(client, agent)
    page = f"/agent/campagnes/{campaign.id}"
    call = _call_of(campaign, "Open")
    data = {_field(call, "status"): "visit_needed", _field(call, "note"): "Il fait 35 °C chez elle"}
    response = client.post_form(f"{page}/appels/{call.id}", data, page=page, follow_redirects=True)
    assert "Une alerte urgente est ouverte pour organiser la visite" in response.get_data(as_text=True)
    concern = db.session.scalar(select(Concern))
    assert concern.severity is Severity.HIGH and concern.source is ConcernSource.AGENT
    assert concern.resident_id == call.resident_id
    assert "Plan canicule A" in concern.description and "35 °C" in concern.description
    # Saving the same outcome again (a corrected note) opens no second concern.
    client.post_form(f"{page}/appels/{call.id}", {**data, _field(call, "note"): "Rappel fait"},
                     page=page)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 1


def test_visit_needed_links_the_concern_to_the_active_pair(place, agent):
    match, _ = make_active(place.nb_a, agent[0])
    campaign = campaigns.create_campaign(place.territory_a, CampaignKind.COLD, "Grand froid",
                                         agent[0])
    (call,) = _calls(campaign)
    campaigns.record_call(call, CallStatus.VISIT_NEEDED, None, agent[0])
    assert db.session.scalar(select(Concern.match_id)) == match.id


@pytest.mark.parametrize("data", [{}, {"status": "pending"}, {"status": "maybe"},
                                  {"status": "reached", "note": "x" * 501}])
def test_bad_call_input_is_refused_on_its_row(client, place, agent, data):
    campaign = _campaign_with_calls(place, agent[0])
    login(client, agent)
    page = f"/agent/campagnes/{campaign.id}"
    call = _call_of(campaign, "Open")
    response = client.post_form(f"{page}/appels/{call.id}",
                                {_field(call, k): v for k, v in data.items()}, page=page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'id="{_field(call, "(status|note)")}-error"', html)
    db.session.refresh(call)
    assert call.status is CallStatus.PENDING


def test_close_campaign_freezes_the_list_but_keeps_the_export(client, place, agent):
    campaign = _campaign_with_calls(place, agent[0])
    login(client, agent)
    page = f"/agent/campagnes/{campaign.id}"
    confirm = " ".join(client.get(f"{page}/clore").get_data(as_text=True).split())
    assert "2 personnes n'ont pas encore été appelées" in unescape(confirm)
    assert "ne se rouvre pas" in confirm
    response = client.post_form(f"{page}/clore", page=f"{page}/clore", follow_redirects=True)
    assert "est close" in response.get_data(as_text=True)
    assert "déjà close" in client.get(f"{page}/clore", follow_redirects=True).get_data(as_text=True)
    again = client.post_form(f"{page}/clore", page=page, follow_redirects=True)
    assert "déjà close" in again.get_data(as_text=True)
    call = _call_of(campaign, "Open")
    response = client.post_form(f"{page}/appels/{call.id}", {_field(call, "status"): "reached"},
                                page=page, follow_redirects=True)
    assert "Cette campagne est close" in response.get_data(as_text=True)
    db.session.refresh(call)
    assert call.status is CallStatus.PENDING
    assert client.get(f"{page}/export.csv").status_code == 200
    with pytest.raises(InvalidTransition):
        campaigns.record_call(call, CallStatus.REACHED, None, agent[0])


def test_record_call_refuses_pending_as_an_outcome(place, agent):
    campaign = _campaign_with_calls(place, agent[0])
    with pytest.raises(DomainError) as refused:
        campaigns.record_call(_calls(campaign)[0], CallStatus.PENDING, None, agent[0])
    assert refused.value.field == "status"


# Export --------------------------------------------------------------------------------------

def test_export_is_a_safe_spreadsheet_file_and_is_audited(client, place, agent):
    people = _residents(place)
    people["open"].last_name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    campaign = campaigns.create_campaign(place.territory_a, CampaignKind.HEATWAVE, "Canicule",
                                         agent[0])
    call = _call_of(campaign, "Paused")
    campaigns.record_call(call, CallStatus.REACHED, "-rappeler @demain", agent[0])
    db.session.commit()
    login(client, agent)
    response = client.get(f"/agent/campagnes/{campaign.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nom", "Prénom", "Téléphone"]
    assert len(rows) == 3
    by_first = {r[1]: r for r in rows[1:]}
    assert by_first["Open"][0] == "'=HYPERLINK(\"http://evil\")"
    assert by_first["Paused"][7] == "Joint·e" and by_first["Paused"][8] == "'-rappeler @demain"
    assert by_first["Paused"][2] == "06 12 34 56 78"
    assert by_first["Paused"][10] == agent[0].full_name
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.campaign"))
    assert entry.territory_id == place.territory_a.id and entry.detail == {"rows": 2}
    assert entry.actor_id == agent[0].id


# Scoping and query counts ----------------------------------------------------------------------

def test_another_territory_sees_nothing_and_gets_404(client, place, agent, other_agent):
    campaign = _campaign_with_calls(place, agent[0])
    call = _call_of(campaign, "Open")
    login(client, other_agent)
    assert "Plan canicule A" not in client.get("/agent/campagnes").get_data(as_text=True)
    page = f"/agent/campagnes/{campaign.id}"
    assert client.get(page).status_code == 404
    assert client.get(f"{page}/export.csv").status_code == 404
    assert client.post_form(f"{page}/clore", page="/agent/campagnes").status_code == 404
    assert client.post_form(f"{page}/appels/{call.id}", {_field(call, "status"): "reached"},
                            page="/agent/campagnes").status_code == 404
    db.session.refresh(campaign)
    assert campaign.closed_at is None
    assert not db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "export.campaign"))


def test_a_call_of_another_campaign_is_404(client, place, agent):
    campaign = _campaign_with_calls(place, agent[0])
    other = campaigns.create_campaign(place.territory_a, CampaignKind.COLD, "Froid", agent[0])
    db.session.commit()
    call = _calls(other)[0]
    login(client, agent)
    page = f"/agent/campagnes/{campaign.id}"
    response = client.post_form(f"{page}/appels/{call.id}", {_field(call, "status"): "reached"},
                                page=page)
    assert response.status_code == 404


def test_admin_sees_every_campaign(client, place, agent, admin):
    campaign = _campaign_with_calls(place, agent[0])
    login(client, admin)
    html = client.get("/agent/campagnes").get_data(as_text=True)
    assert "Plan canicule A" in html and "Territoire A" in html
    assert client.get(f"/agent/campagnes/{campaign.id}").status_code == 200


def test_campaign_page_queries_do_not_grow_with_rows(client, place, agent):
    for _ in range(2):
        factories.make_resident(place.nb_a, with_login=False)
    small_campaign = campaigns.create_campaign(place.territory_a, CampaignKind.HEATWAVE, "Petite",
                                               agent[0])
    db.session.commit()
    login(client, agent)
    small, html = measure(client, f"/agent/campagnes/{small_campaign.id}")
    assert "2 personnes" in html
    for _ in range(18):
        factories.make_resident(place.nb_a, with_login=False)
    big_campaign = campaigns.create_campaign(place.territory_a, CampaignKind.COLD, "Grande",
                                             agent[0])
    db.session.commit()
    big, html = measure(client, f"/agent/campagnes/{big_campaign.id}")
    assert "20 personnes" in html
    assert big.count == small.count, (small.statements, big.statements)


def test_campaign_list_queries_do_not_grow_with_rows(client, place, agent):
    factories.make_resident(place.nb_a, with_login=False)

    def some(n):
        for i in range(n):
            c = campaigns.create_campaign(place.territory_a, CampaignKind.HEATWAVE, f"C{i}", agent[0])
            campaigns.close_campaign(c, agent[0])
        db.session.commit()

    some(2)
    login(client, agent)
    small, _html = measure(client, "/agent/campagnes")
    some(18)
    big, html = measure(client, "/agent/campagnes")
    assert html.count("ag-badge-state-closed") == 20
    assert big.count == small.count, (small.statements, big.statements)


@pytest.mark.parametrize("url", ["/agent/campagnes/123", f"/agent/campagnes/{UNKNOWN}",
                                 f"/agent/campagnes/{UNKNOWN}/export.csv"])
def test_unknown_campaigns_are_404(client, place, agent, url):
    login(client, agent)
    assert client.get(url).status_code == 404
