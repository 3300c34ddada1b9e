"""Administration: territories, neighbourhoods (one at a time and by CSV file), agents, settings.

Every page is reached through the test client; bad input answers 422 with a message next to
the field (or 413 for a file above the server's limit), never a 500; every change is audited.
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEntry,
    Commune,
    Neighbourhood,
    OutboxMessage,
    Role,
    Setting,
    Territory,
    User,
    UserSession,
)
from app.services.settings import DEFAULT_WEIGHTS, matching_weights, retention_months
from tests import factories
from tests.factories import LoggingClient

NEIGHBOURHOODS_CSV = "commune_insee,name,latitude,longitude\n"


def audited(action: str) -> list[AuditEntry]:
    """The entries of an action, oldest first."""
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, content: bytes, filename: str = "quartiers.csv"):
    """Send a file through the import form (with the page's CSRF token)."""
    html = client.get("/admin/quartiers/import").get_data(as_text=True)
    return client.post("/admin/quartiers/import", content_type="multipart/form-data", data={
        "csrf_token": factories.csrf_token(html), "file": (io.BytesIO(content), filename)})


@pytest.fixture
def as_admin(client, admin):
    client.login(*admin)
    return client


# --- Who may come in ------------------------------------------------------------------------

def _admin_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every administration rule, with made-up ids."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        args = {name: uuid.uuid4() for name in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **args)
        found.append(("GET" if "GET" in rule.methods else "POST", url))
    return found


@pytest.mark.parametrize("who", ["resident", "volunteer", "agent", "other_agent"])
def test_only_administrators_reach_the_administration(app, client, request, who):
    client.login(*request.getfixturevalue(who))
    urls = _admin_urls(app)
    assert len(urls) >= 12
    token = factories.csrf_token(client.get("/").get_data(as_text=True))
    for method, url in urls:
        response = (client.get(url) if method == "GET"
                    else client.post(url, data={"csrf_token": token}))
        assert response.status_code == 403, (who, method, url)


def test_anonymous_people_are_sent_to_the_login_page(app, client, place):
    for method, url in _admin_urls(app):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/connexion?next=")


def test_the_overview_counts_and_links_every_section(as_admin, place):
    html = as_admin.get("/admin/").get_data(as_text=True)
    for href in ("/admin/territoires", "/admin/quartiers", "/admin/agents", "/admin/parametres",
                 "/agent/journal", "/agent/statistiques"):
        assert f'href="{href}"' in html
    assert "2 territoires" in html and "2 communes" in html


# --- Territories ------------------------------------------------------------------------------

def test_create_a_territory(as_admin, admin):
    response = as_admin.post_form("/admin/territoires", {"name": "  Couronne nord  "})
    assert response.status_code == 302
    territory = db.session.scalar(select(Territory).where(Territory.name == "Couronne nord"))
    assert response.headers["Location"] == f"/admin/territoires/{territory.id}"
    [entry] = audited("territory.create")
    assert entry.actor_id == admin[0].id and entry.object_id == str(territory.id)


@pytest.mark.parametrize("name, message", [
    ("", "Ce champ est obligatoire."),
    ("territoire a", "Un territoire porte déjà ce nom."),
    ("x" * 121, "au plus 120 caractères"),
    ("Nord\x00", "caractère invisible"),
])
def test_a_bad_territory_name_is_refused(as_admin, place, name, message):
    response = as_admin.post_form("/admin/territoires", {"name": name})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Territory) == 2 and audited("territory.create") == []


def test_a_name_taken_with_other_than_ascii_capitals_is_refused(as_admin, place):
    """SQLite's lower() leaves "É" as it is: the name as typed must still be found (fuzzing)."""
    assert as_admin.post_form("/admin/territoires", {"name": "Étang"}).status_code == 302
    response = as_admin.post_form("/admin/territoires", {"name": "Étang"})
    assert response.status_code == 422
    assert "Un territoire porte déjà ce nom." in response.get_data(as_text=True)


@pytest.mark.parametrize("url, field", [("/admin/territoires", "name"), (None, "nom-name")])
def test_a_name_taken_meanwhile_comes_back_as_a_message(as_admin, place, monkeypatch, url, field):
    """The check passed, then the unique key refused the name (another administrator was
    quicker): the form comes back with the message, not a 500, and nothing is written."""
    monkeypatch.setattr("app.admin.actions._name_taken", lambda name, but=None: False)
    url = url or f"/admin/territoires/{place.territory_a.id}"
    response = as_admin.post_form(url, {field: "Territoire B"})
    assert response.status_code == 422
    assert "Un territoire porte déjà ce nom." in response.get_data(as_text=True)
    db.session.expire_all()
    names = sorted(db.session.scalars(select(Territory.name)))
    assert names == sorted([place.territory_a.name, "Territoire B"])
    assert audited("territory.create") == [] and audited("territory.rename") == []


def test_rename_a_territory(as_admin, place):
    url = f"/admin/territoires/{place.territory_a.id}"
    assert as_admin.post_form(url, {"nom-name": "Pau centre"}).status_code == 302
    assert db.session.get(Territory, place.territory_a.id).name == "Pau centre"
    assert len(audited("territory.rename")) == 1
    response = as_admin.post_form(url, {"nom-name": "Territoire B"})
    assert response.status_code == 422
    assert "Un territoire porte déjà ce nom." in response.get_data(as_text=True)


def test_move_communes_between_territories(as_admin, place):
    db.session.add(Commune(insee_code="64348", name="Lons", population=12000))
    db.session.commit()
    url = f"/admin/territoires/{place.territory_a.id}"
    assert 'value="64335"' in as_admin.get(url).get_data(as_text=True)
    # Pau stays, Lescar comes from territory B, Lons (no territory) joins.
    response = as_admin.post(url, data={
        "csrf_token": factories.csrf_token(as_admin.get(url).get_data(as_text=True)),
        "communes-communes": ["64445", "64335", "64348"]})
    assert response.status_code == 302
    territories = dict(db.session.execute(select(Commune.insee_code, Commune.territory_id)).all())
    assert set(territories.values()) == {place.territory_a.id}
    entries = audited("territory.communes")
    assert {e.territory_id for e in entries} == {place.territory_a.id, place.territory_b.id}
    mine = next(e for e in entries if e.territory_id == place.territory_a.id)
    assert mine.detail == {"added": ["64335", "64348"], "removed": []}
    # Unticking every commune leaves them with no territory.
    response = as_admin.post(url, data={
        "csrf_token": factories.csrf_token(as_admin.get(url).get_data(as_text=True))})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Commune)
                             .where(Commune.territory_id.is_not(None))) == 0


def test_an_unknown_commune_code_is_refused(as_admin, place):
    url = f"/admin/territoires/{place.territory_a.id}"
    response = as_admin.post(url, data={
        "csrf_token": factories.csrf_token(as_admin.get(url).get_data(as_text=True)),
        "communes-communes": ["99999"]})
    assert response.status_code == 422
    assert db.session.get(Commune, "64445").territory_id == place.territory_a.id


def test_unknown_territory_is_404(as_admin, place):
    assert as_admin.get(f"/admin/territoires/{uuid.uuid4()}").status_code == 404


# --- Neighbourhoods, one at a time ---------------------------------------------------------

def test_add_and_edit_a_neighbourhood(as_admin, place):
    response = as_admin.post_form("/admin/quartiers/nouveau", {
        "name": "Saragosse", "commune": "64445", "latitude": "43,3017", "longitude": "-0.3821"})
    assert response.status_code == 302
    made = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Saragosse"))
    assert (made.latitude, made.longitude) == (43.3017, -0.3821)
    [entry] = audited("neighbourhood.create")
    assert entry.territory_id == place.territory_a.id
    edit = f"/admin/quartiers/{made.id}/modifier"
    page = as_admin.get(edit).get_data(as_text=True)
    assert 'value="43,3017"' in page  # the coordinates keep their precision
    response = as_admin.post_form(edit, {"name": "Saragosse nord", "commune": "64445",
                                         "latitude": "43.31", "longitude": "-0.38"})
    assert response.status_code == 302
    db.session.refresh(made)
    assert made.name == "Saragosse nord" and made.latitude == 43.31
    assert len(audited("neighbourhood.update")) == 1
    assert "Saragosse nord" in as_admin.get("/admin/quartiers").get_data(as_text=True)


def test_a_neighbourhood_name_with_other_than_ascii_capitals_is_found_taken(as_admin, place):
    """SQLite's lower() leaves "É" as it is: the name as typed is found, no 500 (fuzzing)."""
    form = {"name": "Écureuils", "commune": "64445", "latitude": "43.3", "longitude": "-0.37"}
    assert as_admin.post_form("/admin/quartiers/nouveau", form).status_code == 302
    response = as_admin.post_form("/admin/quartiers/nouveau", form)
    assert response.status_code == 422
    assert "Cette commune a déjà un quartier de ce nom." in response.get_data(as_text=True)
    assert count(Neighbourhood) == 3


@pytest.mark.parametrize("data, message", [
    ({"latitude": "95"}, "La latitude est comprise entre -90 et 90."),
    ({"longitude": "-181"}, "La longitude est comprise entre -180 et 180."),
    ({"latitude": "nord"}, "Saisissez un nombre"),
    ({"latitude": "NaN"}, "Saisissez un nombre"),
    ({"latitude": ""}, "Ce champ est obligatoire."),
    ({"name": ""}, "Ce champ est obligatoire."),
    ({"name": "pau"}, "Cette commune a déjà un quartier de ce nom."),
    ({"commune": "99999"}, "Choisissez dans la liste."),
])
def test_a_bad_neighbourhood_is_refused_with_what_was_typed(as_admin, place, data, message):
    form = {"name": "Nouveau", "commune": "64445", "latitude": "43.3", "longitude": "-0.37", **data}
    response = as_admin.post_form("/admin/quartiers/nouveau", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert count(Neighbourhood) == 2 and audited("neighbourhood.create") == []
    if data.get("latitude"):
        assert f'value="{data["latitude"]}"' in html


def test_unknown_neighbourhood_is_404(as_admin, place):
    assert as_admin.get(f"/admin/quartiers/{uuid.uuid4()}/modifier").status_code == 404


# --- Neighbourhoods, by CSV file -----------------------------------------------------------

def test_import_a_file_of_neighbourhoods(as_admin, place):
    content = (NEIGHBOURHOODS_CSV + "64445,Saragosse,43.3017,-0.3821\n"
               "64445,pau,43.3,-0.36\n"            # same as the existing Pau: moved
               "64335,Lescar centre,43.333,-0.434\n").encode()
    response = upload(as_admin, "\ufeff".encode() + content)
    assert response.status_code == 302
    assert count(Neighbourhood) == 4
    pau = db.session.get(Neighbourhood, place.nb_a.id)
    db.session.refresh(pau)
    assert (pau.latitude, pau.longitude) == (43.3, -0.36)
    [entry] = audited("neighbourhoods.import")
    assert entry.detail == {"created": 2, "updated": 1} and entry.object_id == "quartiers.csv"
    listing = as_admin.get("/admin/quartiers").get_data(as_text=True)
    assert "2 quartier(s) ajouté(s), 1 déplacé(s)" in listing


def test_a_bad_file_saves_nothing_and_says_which_lines(as_admin, place):
    content = (NEIGHBOURHOODS_CSV + "64445,Saragosse,43.3017,-0.3821\n"
               "\n"
               "99999,Nulle part,43.3,-0.3\n"
               "64445,Trop au nord,91,-0.3\n"
               "64445,Saragosse,43.3,-0.38\n").encode()
    response = upload(as_admin, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "line 4" in html and "line 5" in html and "2 problèmes, rien n" in html
    assert 'aria-describedby="file-hint file-error"' in html and 'aria-invalid="true"' in html
    assert count(Neighbourhood) == 2 and audited("neighbourhoods.import") == []


@pytest.mark.parametrize("content, message", [
    (b"commune_insee;name;latitude;longitude\n64445;X;43;0\n", "missing column"),
    ("commune_insee,name,latitude,longitude\n64445,Bérénice,43.3,-0.3\n".encode("latin-1"),
     "pas encodé en UTF-8"),
    (b"\x00\x01\x02binary", "caractères nuls"),
    (NEIGHBOURHOODS_CSV.encode(), "aucun quartier"),
    (b"", "Le fichier est vide."),
])
def test_an_unreadable_file_is_explained(as_admin, place, content, message):
    response = upload(as_admin, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Neighbourhood) == 2


def test_a_form_sent_without_a_file_asks_for_one(as_admin, place):
    response = as_admin.post_form("/admin/quartiers/import", {})
    assert response.status_code == 422
    assert "Choisissez un fichier." in response.get_data(as_text=True)


def test_a_file_above_1_mb_is_refused_next_to_the_field(as_admin, place):
    line = "64445,Quartier {n},43.3,-0.3\n"
    content = (NEIGHBOURHOODS_CSV + "".join(line.format(n=i) for i in range(40_000))).encode()
    assert 1024 * 1024 < len(content) < 2 * 1024 * 1024
    response = upload(as_admin, content)
    assert response.status_code == 422 and "dépasse 1 Mo" in response.get_data(as_text=True)
    assert count(Neighbourhood) == 2


def test_a_file_above_the_server_limit_gets_the_same_message(as_admin, place):
    html = as_admin.get("/admin/quartiers/import").get_data(as_text=True)
    response = as_admin.post("/admin/quartiers/import", content_type="multipart/form-data", data={
        "csrf_token": factories.csrf_token(html),
        "file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "gros.csv")})
    assert response.status_code == 413
    assert "dépasse 1 Mo" in response.get_data(as_text=True)
    assert count(Neighbourhood) == 2


def test_a_large_body_to_another_page_gets_the_plain_413(client, agent):
    client.login(*agent)
    big = io.BytesIO(b"x" * (3 * 1024 * 1024))
    response = client.post("/admin/quartiers/import", data={"file": (big, "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Importer des quartiers" not in response.get_data(as_text=True)


# --- Agents -----------------------------------------------------------------------------------

def test_create_an_agent_who_gets_a_link_to_choose_a_password(as_admin, admin, place):
    response = as_admin.post_form("/admin/agents/nouveau", {
        "first_name": "Lucie", "last_name": "Marty", "email": "Lucie.Marty@Example.org",
        "territory": str(place.territory_b.id)})
    assert response.status_code == 302
    agent = db.session.scalar(select(User).where(User.email == "lucie.marty@example.org"))
    assert agent.role is Role.AGENT and agent.territory_id == place.territory_b.id
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == agent.id))
    assert message.kind == "password_reset"
    link = re.search(r"/mot-de-passe/nouveau/[\w-]+", message.body).group(0)
    [entry] = audited("agent.create")
    assert entry.actor_id == admin[0].id and entry.territory_id == place.territory_b.id
    # The agent chooses a password through the link, then logs in and sees territory B.
    other = LoggingClient.wrap(as_admin.application.test_client())
    chosen = "un mot de passe choisi par Lucie"
    assert other.post_form(link, {"password": chosen, "password_confirm": chosen,
                                  "confirm": chosen}).status_code in (302, 303)
    other.login(agent, chosen)
    assert other.get("/agent/").status_code == 200


@pytest.mark.parametrize("data, message", [
    ({"email": "pas-une-adresse"}, "adresse e-mail valide"),
    ({"first_name": ""}, "Ce champ est obligatoire."),
    ({"territory": ""}, "Choisissez un territoire."),
    ({"territory": str(uuid.uuid4())}, "Choisissez dans la liste."),
])
def test_a_bad_agent_form_is_refused(as_admin, place, data, message):
    form = {"first_name": "Lucie", "last_name": "Marty", "email": "lucie@example.org",
            "territory": str(place.territory_a.id), **data}
    response = as_admin.post_form("/admin/agents/nouveau", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert db.session.scalar(select(User).where(User.email == "lucie@example.org")) is None


def test_an_address_already_taken_is_refused(as_admin, agent, place):
    response = as_admin.post_form("/admin/agents/nouveau", {
        "first_name": "Lucie", "last_name": "Marty", "email": agent[0].email,
        "territory": str(place.territory_a.id)})
    assert response.status_code == 422
    assert "Cette adresse e-mail est déjà utilisée." in response.get_data(as_text=True)


def test_move_an_agent_to_another_territory(as_admin, agent, place):
    url = f"/admin/agents/{agent[0].id}"
    assert as_admin.post_form(url, {"territory": str(place.territory_b.id)}).status_code == 302
    assert db.session.get(User, agent[0].id).territory_id == place.territory_b.id
    [entry] = audited("agent.territory")
    assert entry.detail == {"from": str(place.territory_a.id), "to": str(place.territory_b.id)}


def test_disabling_an_agent_ends_their_sessions(app, as_admin, agent):
    agent_client = LoggingClient.wrap(app.test_client())
    agent_client.login(*agent)
    assert agent_client.get("/agent/").status_code == 200
    url = f"/admin/agents/{agent[0].id}"
    assert as_admin.post_form(url + "/desactiver", page=url).status_code == 302
    assert db.session.get(User, agent[0].id).is_enabled is False
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == agent[0].id, UserSession.ended_at.is_(None))) == 0
    assert agent_client.get("/agent/").status_code == 302  # back to the login page
    assert len(audited("agent.disable")) == 1
    assert as_admin.post_form(url + "/reactiver", page=url).status_code == 302
    assert db.session.get(User, agent[0].id).is_enabled is True
    assert len(audited("agent.enable")) == 1
    agent_client.login(*agent)


def test_only_agent_accounts_are_managed_here(as_admin, admin, resident):
    assert as_admin.get(f"/admin/agents/{resident[0].id}").status_code == 404
    url = f"/admin/agents/{admin[0].id}/desactiver"
    assert as_admin.post_form(url, page="/admin/agents").status_code == 404


def test_the_agents_list(as_admin, agent, other_agent):
    html = as_admin.get("/admin/agents").get_data(as_text=True)
    assert agent[0].email in html and other_agent[0].email in html and "Territoire B" in html


# --- Settings ---------------------------------------------------------------------------------

def settings_form(**changes) -> dict:
    return {"waiting": "40", "distance": "25", "slots": "20", "interests": "15", "retention": "24",
            **changes}


def test_change_the_weights_and_the_retention(client, as_admin, admin):
    page = as_admin.get("/admin/parametres").get_data(as_text=True)
    assert 'value="40"' in page and 'value="24"' in page
    response = as_admin.post_form("/admin/parametres", settings_form(
        waiting="50", distance="12,5", slots="0", retention="36"))
    assert response.status_code == 302
    assert matching_weights() == {"waiting": 50.0, "distance": 12.5, "slots": 0.0,
                                  "interests": 15.0}
    assert retention_months() == 36
    assert db.session.get(Setting, "matching_weights").updated_by_id == admin[0].id
    [weights] = audited("settings.matching_weights")
    assert weights.detail["from"] == DEFAULT_WEIGHTS and weights.detail["to"]["distance"] == 12.5
    assert audited("settings.retention")[0].detail == {"from": 24, "to": 36}
    # The public page reads the weights in force.
    public = client.get("/comment-ca-marche").get_data(as_text=True)
    assert "<td>50</td>" in public and "<td>12,5</td>" in public
    # Sending the same values again changes nothing and writes nothing.
    as_admin.post_form("/admin/parametres", settings_form(waiting="50", distance="12.5",
                                                          slots="0", retention="36"))
    assert len(audited("settings.matching_weights")) == 1
    assert len(audited("settings.retention")) == 1


@pytest.mark.parametrize("changes, messages", [
    ({"waiting": "-1"}, ["Saisissez un nombre entre 0 et 100."]),
    ({"distance": "beaucoup"}, ["Saisissez un nombre"]),
    ({"slots": "Infinity"}, ["Saisissez un nombre"]),
    ({"interests": "101"}, ["Saisissez un nombre entre 0 et 100."]),
    ({"waiting": "0", "distance": "0", "slots": "0", "interests": "0,0"},
     ["Au moins une pondération doit être supérieure à zéro."]),
    ({"waiting": ""}, ["Ce champ est obligatoire."]),
    ({"retention": "5"}, ["Choisissez une durée entre 6 et 120 mois."]),
    ({"retention": "121"}, ["Choisissez une durée entre 6 et 120 mois."]),
    ({"retention": "deux ans"}, ["Saisissez un nombre entier"]),
    ({"retention": "12.5"}, ["Saisissez un nombre entier"]),
])
def test_bad_settings_are_refused_with_messages(as_admin, admin, changes, messages):
    response = as_admin.post_form("/admin/parametres", settings_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in messages:
        assert message in html
    assert 'class="error-summary"' in html
    for value in changes.values():
        if value:
            assert f'value="{value}"' in html  # what was typed stays in the field
    assert db.session.get(Setting, "matching_weights") is None
    assert db.session.get(Setting, "retention") is None
    assert audited("settings.matching_weights") == [] and audited("settings.retention") == []


def test_every_admin_action_is_in_the_journal(as_admin, place):
    as_admin.post_form("/admin/territoires", {"name": "Couronne nord"})
    html = as_admin.get("/agent/journal").get_data(as_text=True)
    assert "Territoire créé" in html and "territory.create" in html


# --- Query counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/agents", "/admin/territoires",
                                  "/admin/quartiers"])
def test_the_lists_cost_the_same_queries_for_few_or_many_rows(as_admin, place, path):
    from tests.agent.test_residents import count_queries

    def queries() -> int:
        with count_queries() as counter:
            assert as_admin.get(path).status_code == 200
        return counter["selects"]

    few = queries()
    for i in range(4):
        territory = Territory(name=f"Territoire {i}")
        db.session.add(territory)
        db.session.flush()
        code = f"6490{i}"
        db.session.add(Commune(insee_code=code, name=f"Commune {i}", population=1000,
                               territory_id=territory.id))
        db.session.flush()
        db.session.add_all([Neighbourhood(commune_insee=code, name=f"Quartier {i}-{j}",
                                          latitude=43.3, longitude=-0.37) for j in range(3)])
        factories.make_staff("agent", territory, first=f"Agent{i}")
    db.session.commit()
    assert queries() == few
