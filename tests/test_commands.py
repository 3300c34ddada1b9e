"""The ``flask`` commands: seed-demo, import-communes, import-neighbourhoods, create-user.

Refusals are checked the way a person at a terminal sees them: exit status 2, one line on
stderr, nothing on stdout, and nothing written to the database.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import (
    AuditEntry,
    Commune,
    CommunePostcode,
    Concern,
    ConcernStatus,
    ConsentMethod,
    ConsentRecord,
    Match,
    MatchStatus,
    Neighbourhood,
    Referral,
    ReferralStatus,
    ResidentProfile,
    Role,
    Territory,
    User,
    VettingKind,
    Visit,
    VisitStatus,
    VolunteerProfile,
    VolunteerStatus,
    utcnow,
)
from app.models.availability import slot_count
from app.services import accounts, demo, vetting
from app.services.accounts import find_by_email
from app.services.vetting import add_months
from app.services.visits import PARIS, slot_of
from tests import factories
from tests.conftest import POSTGRES_URL, _truncate_all

ROOT = Path(__file__).resolve().parent.parent
GOOD_PASSWORD = "une phrase assez longue 42"


def invoke(runner, *args: str):
    """Run a command as the terminal would, letting unexpected exceptions fail the test."""
    return runner.invoke(args=list(args), catch_exceptions=False)


def assert_refused(result, *fragments: str) -> None:
    """Exit status 2, one line on stderr holding every fragment, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def refuse_each(cases: dict, attempt) -> None:
    """Run ``attempt(case)`` for every case and report every failing one, not just the first.

    One database serves all the cases (each refusal must leave it as it was), which keeps
    the file fast on PostgreSQL, where every test pays for a truncation.
    """
    failures = []
    for name, case in cases.items():
        try:
            attempt(case)
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n".join(failures)


def row_counts() -> dict[str, int]:
    """Committed rows in every table (what is in the session but not committed is dropped)."""
    db.session.rollback()
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def count(model) -> int:
    """Rows of a model in the database."""
    return db.session.scalar(select(func.count()).select_from(model))


def write(tmp_path: Path, content: str | bytes, name: str = "file.csv") -> str:
    """Write a file (text as UTF-8, bytes as they are) and return its path."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


# --- seed-demo --------------------------------------------------------------------------------


@pytest.fixture
def seeded(runner):
    """The demo loaded into the test's empty database; returns the command's result."""
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0, result.output
    return result


def test_seed_demo_loads_the_pau_agglomeration(seeded):
    assert seeded.output.startswith("Demo data loaded in ")
    for account in demo.DEMO_ACCOUNTS:
        assert f"{account.email}  " in seeded.output
    assert seeded.output.count(demo.DEMO_PASSWORD) == len(demo.DEMO_ACCOUNTS)

    assert count(Commune) == 31
    assert count(CommunePostcode) >= 31
    assert db.session.scalar(select(func.count()).select_from(Commune)
                             .where(Commune.territory_id.is_(None))) == 0
    territories = db.session.scalars(select(Territory)).all()
    assert len(territories) >= 3
    pau = db.session.get(Commune, "64445")
    assert pau.territory.name == "Pau" and [c.insee_code for c in pau.territory.communes] == ["64445"]
    for territory in territories:
        agents = db.session.scalars(select(User).where(User.territory_id == territory.id)).all()
        assert any(u.role is Role.AGENT for u in agents), territory.name
    admin = find_by_email("admin@demo.voisinage.fr")
    assert admin.role is Role.ADMIN and admin.territory_id is None

    assert 55 <= count(ResidentProfile) <= 65
    assert 36 <= count(VolunteerProfile) <= 44
    statuses = dict(db.session.execute(select(Match.status, func.count()).group_by(Match.status)).all())
    assert statuses == {MatchStatus.ACTIVE: 8, MatchStatus.PROPOSED: 2, MatchStatus.APPROVED: 1,
                        MatchStatus.ENDED: 1, MatchStatus.DECLINED: 1}
    assert count(Visit) > 50
    assert db.session.scalar(select(func.count()).select_from(Referral)
                             .where(Referral.status == ReferralStatus.PENDING)) == 3
    # One load, several aspects (a load per aspect would double the file's time).
    check_people_look_like_the_app_made_them()
    check_vetting_is_complete_where_it_should_be()
    check_pairs_follow_the_public_rules()
    check_visits_and_concerns_fit_the_pairs()


def check_people_look_like_the_app_made_them():
    """Desk registrations with their consent, addresses, demo e-mails and fiction phones."""
    residents = db.session.scalars(select(ResidentProfile)).all()
    desk = [r for r in residents if r.user.email is None]
    assert 0.15 <= len(desk) / len(residents) <= 0.25
    for profile in desk:
        assert profile.user.password_hash is None
        assert profile.registered_by_id is not None
        assert db.session.get(User, profile.registered_by_id).role is Role.AGENT
        consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == profile.user_id))
        assert consent.method in (ConsentMethod.ORAL, ConsentMethod.SIGNED_FORM)
        assert consent.recorded_by_id == profile.registered_by_id
    for profile in residents:
        assert profile.postcode in [p.postcode for p in profile.neighbourhood.commune.postcodes]
        assert profile.address[0].isdigit() and profile.languages and profile.interests
        assert utcnow() - profile.waiting_since <= timedelta(days=201)
    users = db.session.scalars(select(User)).all()
    assert all(u.email is None or u.email.endswith("@demo.voisinage.fr") for u in users)
    phones = [u.phone for u in users if u.phone]
    assert len(phones) == len(set(phones)) and all(p.startswith("+3353649") for p in phones)
    assert len({u.full_name for u in users}) == len(users)
    languages = {lang for r in residents for lang in r.languages}
    assert {"fr", "oc", "es", "pt", "ar", "en"} <= languages
    # Every person's registration is in the audit log, dated when they signed up.
    registered = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.register")).all()
    assert len(registered) == len(residents)
    assert min(e.at for e in registered) < utcnow() - timedelta(days=100)


def check_vetting_is_complete_where_it_should_be():
    """Every vetting state; approved volunteers have every step, valid, recorded by an agent."""
    volunteers = db.session.scalars(select(VolunteerProfile)).all()
    states = {v.status for v in volunteers}
    assert {VolunteerStatus.APPROVED, VolunteerStatus.APPLIED, VolunteerStatus.IN_REVIEW,
            VolunteerStatus.SUSPENDED, VolunteerStatus.REJECTED} <= states
    assert sum(v.status is VolunteerStatus.SUSPENDED for v in volunteers) == 1
    assert sum(v.status is VolunteerStatus.REJECTED for v in volunteers) == 1
    for volunteer in volunteers:
        assert 1 <= volunteer.capacity <= 3 and 3 <= volunteer.max_km <= 15
        steps = volunteer.vetting_steps
        assert all(s.recorded_by_id is None or db.session.get(User, s.recorded_by_id).role is Role.AGENT
                   for s in steps)
        for step in steps:
            if step.kind is VettingKind.CRIMINAL_RECORD:
                assert step.expires_on == add_months(step.done_on, 12)
        if volunteer.status is VolunteerStatus.APPROVED:
            assert {s.kind for s in steps} == set(VettingKind)
            assert all(s.recorded_by_id for s in steps)
            assert vetting.missing_steps(volunteer) == [], volunteer.user.full_name
        elif volunteer.status in (VolunteerStatus.APPLIED, VolunteerStatus.IN_REVIEW):
            assert len({s.kind for s in steps}) < len(VettingKind)
        elif volunteer.status is VolunteerStatus.SUSPENDED:
            assert vetting.missing_steps(volunteer) == [VettingKind.CRIMINAL_RECORD]


def _haversine(a: Neighbourhood, b: Neighbourhood) -> float:
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def check_pairs_follow_the_public_rules():
    """PRODUCT.md §2: possible pairs only, scores as the formula says, capacity and rule 6 kept."""
    matches = db.session.scalars(select(Match)).all()
    live = [m for m in matches if m.status in MatchStatus.live()]
    assert len({m.resident_id for m in live}) == len(live)
    for volunteer in db.session.scalars(select(VolunteerProfile)):
        assert sum(m.volunteer_id == volunteer.id for m in live) <= volunteer.capacity
    for m in matches:
        r, v = m.resident, m.volunteer
        assert v.status is VolunteerStatus.APPROVED
        assert r.neighbourhood.commune.territory_id == v.neighbourhood.commune.territory_id
        assert m.shared_slots == r.availability & v.availability != 0
        assert m.shared_interests == sorted(set(r.interests) & set(v.interests))
        assert set(r.languages) & set(v.languages)
        assert r.volunteer_gender in (None, v.gender)
        distance = _haversine(r.neighbourhood, v.neighbourhood)
        assert m.distance_km == pytest.approx(distance, abs=1e-6) and distance <= v.max_km
        # PRODUCT.md §2 with the default weights, recomputed independently of the engine.
        assert m.part_distance == pytest.approx(25 * (1 - distance / v.max_km))
        assert m.part_slots == pytest.approx(20 * min(slot_count(m.shared_slots), 3) / 3)
        assert m.part_interests == pytest.approx(15 * min(len(m.shared_interests), 3) / 3)
        days = m.part_waiting * 180 / 40
        assert days == pytest.approx(round(days)) and 0 <= days <= 180
        if m.status is not MatchStatus.ENDED:  # the end of a pair restarts the resident's wait
            waited = (m.created_at.date() - r.waiting_since.date()).days
            assert m.part_waiting == pytest.approx(40 * min(waited, 180) / 180)
        assert m.score == pytest.approx(m.part_waiting + m.part_distance + m.part_slots + m.part_interests)
        assert (m.accepted_at is not None) == (m.status in (MatchStatus.ACTIVE, MatchStatus.ENDED))
        if m.status is not MatchStatus.PROPOSED:
            assert db.session.get(User, m.decided_by_id).role is Role.AGENT
    # Rule 6: a resident whose pair ended or was declined is proposed someone else.
    for m in matches:
        if m.status in MatchStatus.excluding():
            again = [o for o in live if o.resident_id == m.resident_id]
            assert again and all(o.volunteer_id != m.volunteer_id for o in again)


def check_visits_and_concerns_fit_the_pairs():
    """Visits at 10:00, 15:00 or 18:30 in a shared slot, logged when past; one concern overdue."""
    now = utcnow()
    for visit in db.session.scalars(select(Visit)):
        local = visit.starts_at.astimezone(PARIS)
        assert (local.hour, local.minute) in ((10, 0), (15, 0), (18, 30))
        assert slot_of(visit.starts_at) in visit.match.resident.slots
        assert slot_of(visit.starts_at) in visit.match.volunteer.slots
        if visit.status in (VisitStatus.DONE, VisitStatus.MISSED):
            assert visit.starts_at < now and visit.log.logged_at > visit.starts_at
            assert (visit.log.mood is None) == (visit.status is VisitStatus.MISSED)
        elif visit.status is VisitStatus.SCHEDULED:
            assert visit.starts_at > now and visit.match.status is MatchStatus.ACTIVE
    moods = db.session.scalars(select(Visit).where(Visit.status == VisitStatus.DONE)).all()
    assert sum(v.log.mood.value == "worrying" for v in moods) == 1
    concerns = db.session.scalars(select(Concern)).all()
    assert len(concerns) >= 2
    assert all(c.status is not ConcernStatus.CLOSED for c in concerns)
    assert sum(c.due_at < now for c in concerns) == 1


def test_seed_demo_accounts_log_in_and_a_second_run_changes_nothing(app, runner, seeded):
    for account in demo.DEMO_ACCOUNTS:
        user = find_by_email(account.email)
        client = factories.LoggingClient.wrap(app.test_client())
        home = client.login(user, demo.DEMO_PASSWORD).headers["Location"]
        assert client.get(home).status_code == 200, account.email
    habitant = find_by_email("habitant@demo.voisinage.fr").resident_profile
    benevole = find_by_email("benevole@demo.voisinage.fr").volunteer_profile
    pair = db.session.scalar(select(Match).where(Match.resident_id == habitant.id,
                                                 Match.status == MatchStatus.ACTIVE))
    assert pair.volunteer_id == benevole.id and benevole.status is VolunteerStatus.APPROVED
    coming = [v for v in db.session.scalars(select(Visit).where(Visit.match_id == pair.id))
              if v.status is VisitStatus.SCHEDULED]
    assert len(coming) >= 2

    before = row_counts()
    again = invoke(runner, "seed-demo")
    assert again.exit_code == 0
    assert again.output.splitlines()[0] == (
        "The database already holds people: demo data not loaded, nothing changed.")
    for account in demo.DEMO_ACCOUNTS:
        assert account.email in again.output
    assert row_counts() == before


def test_seed_demo_leaves_a_database_with_people_alone(runner, place, admin):
    before = row_counts()
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "The database already holds people: demo data not loaded, nothing changed.",
        "No demo account in this database.",
    ]
    assert row_counts() == before


def _fingerprint() -> list:
    """Who the demo made, where they live, what they like, and who is paired with whom."""
    people = [(u.role.value, u.first_name, u.last_name, u.email, u.phone)
              for u in db.session.scalars(select(User))]
    residents = [(r.user.full_name, r.address, r.postcode, r.neighbourhood.commune_insee,
                  r.availability, r.languages, r.interests, r.visit_kind.value, r.status.value)
                 for r in db.session.scalars(select(ResidentProfile))]
    volunteers = [(v.user.full_name, v.status.value, v.capacity, v.max_km, v.availability,
                   v.neighbourhood.commune_insee) for v in db.session.scalars(select(VolunteerProfile))]
    pairs = [(m.resident.user.full_name, m.volunteer.user.full_name, m.status.value,
              round(m.score, 6)) for m in db.session.scalars(select(Match))]
    return [sorted(rows, key=repr) for rows in (people, residents, volunteers, pairs)]


def test_seed_demo_is_the_same_on_every_run(app, seeded, database_template, tmp_path):
    """A second load, in another process with another hash seed, on a fresh database."""
    first = _fingerprint()
    db.session.remove()
    if POSTGRES_URL:
        _truncate_all()
        url = database_template
    else:
        shutil.copyfile(database_template, tmp_path / "second.db")
        url = f"sqlite:///{tmp_path / 'second.db'}"
    hash_seed = "12345" if os.environ.get("PYTHONHASHSEED") != "12345" else "54321"
    env = {**os.environ, "VOISINAGE_ENV": "development", "DATABASE_URL": url,
           "SECRET_KEY": "test-only", "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app", "seed-demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Demo data loaded")
    other = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        second = _fingerprint()
        db.session.remove()
        db.engine.dispose()
    assert second == first


# --- import-neighbourhoods --------------------------------------------------------------------

NEIGHBOURHOODS = ("commune_insee,name,latitude,longitude\n"
                  "64445,Hédas,43.2935,-0.3705\n"
                  "64445,Trespoey,43.3110,-0.3460\n"
                  "64335,Centre,43.3330,-0.4340\n")


def test_import_neighbourhoods_creates_then_updates(runner, place, tmp_path):
    result = invoke(runner, "import-neighbourhoods", write(tmp_path, NEIGHBOURHOODS))
    assert result.exit_code == 0, result.output
    assert "3 neighbourhoods created, 0 updated" in result.stdout
    assert count(Neighbourhood) == 2 + 3

    moved = NEIGHBOURHOODS.replace("43.2935", "43.2900") + "64445,Saragosse,43.3160,-0.3830\n"
    result = invoke(runner, "import-neighbourhoods", write(tmp_path, moved, "again.csv"))
    assert result.exit_code == 0, result.output
    assert "1 neighbourhoods created, 3 updated" in result.stdout
    hedas = db.session.scalar(select(Neighbourhood).where(Neighbourhood.name == "Hédas"))
    assert hedas.latitude == 43.29
    assert count(Neighbourhood) == 2 + 4


BAD_NEIGHBOURHOODS = {
    "unknown commune": ("64445,Hédas,43.29,-0.37\n99999,Nulle part,43.3,-0.3\n",
                        "line 3: commune_insee '99999' is not a known commune"),
    "latitude out of range": ("64445,Hédas,43.29,-0.37\n64445,Trespoey,95,-0.34\n",
                              "line 3: latitude 95.0 is outside [-90, 90]"),
    "not a number": ("64445,Hédas,43.29,-0.37\n64445,Trespoey,43.31,ouest\n",
                     "line 3: longitude is not a number: 'ouest'"),
    "duplicate rows": ("64445,Hédas,43.29,-0.37\n64445,HÉDAS,43.30,-0.36\n",
                       "line 3: same commune_insee, name as line 2"),
    "duplicate after a blank line": ("64445,Hédas,43.29,-0.37\n\n64445,hédas,43.30,-0.36\n",
                                     "line 4: same commune_insee, name as line 2"),
    "empty name": ("64445,Hédas,43.29,-0.37\n64445,  ,43.30,-0.36\n", "line 3: name is empty"),
    "several problems": ("64445,,43.29,-0.37\n64445,Trespoey,x,-0.36\n",
                         "line 2: name is empty (and 1 more)"),
    "too many problems to list": ("".join(f"64445,Rue {i},x,-0.36\n" for i in range(30)),
                                  "line 2: latitude is not a number: 'x' (and at least 19 more)"),
}


def test_import_neighbourhoods_refuses_a_bad_file_whole(runner, place, tmp_path):
    before = row_counts()

    def attempt(case):
        rows, message = case
        path = write(tmp_path, "commune_insee,name,latitude,longitude\n" + rows)
        assert_refused(invoke(runner, "import-neighbourhoods", path), f"error: {path}: {message}")
        assert row_counts() == before

    refuse_each(BAD_NEIGHBOURHOODS, attempt)


BAD_FILES = {
    "missing column": ("commune_insee,name,latitude\n64445,Hédas,43.29\n",
                       "line 1: missing column(s) longitude"),
    "empty file": ("", "line 1: missing column(s) commune_insee, name, latitude, longitude"),
    "not UTF-8": ("commune_insee,name,latitude,longitude\n64445,Hédas,43.29,-0.37\n".encode("latin-1"),
                  "not a UTF-8 text file"),
    "missing file": (None, "none.csv: no such file"),
    "folder": (..., "is a folder, not a file"),
}


def test_import_neighbourhoods_refuses_an_unreadable_file(runner, place, tmp_path):
    before = row_counts()

    def attempt(case):
        content, message = case
        path = (str(tmp_path / "none.csv") if content is None else str(tmp_path) if content is ...
                else write(tmp_path, content))
        assert_refused(invoke(runner, "import-neighbourhoods", path), message)
        assert row_counts() == before

    refuse_each(BAD_FILES, attempt)


def test_import_neighbourhoods_reads_a_spreadsheet_export(runner, place, tmp_path):
    """A UTF-8 BOM and Windows line ends, as spreadsheets write them."""
    content = "\ufeff" + NEIGHBOURHOODS.replace("\n", "\r\n")
    result = invoke(runner, "import-neighbourhoods", write(tmp_path, content))
    assert result.exit_code == 0, result.output
    assert count(Neighbourhood) == 2 + 3


# --- import-communes --------------------------------------------------------------------------

COMMUNES = ("insee_code,name,postcodes,population,latitude,longitude\n"
            "64445,Pau,64000,80441,43.32002,-0.35034\n"
            "64129,Billère,64140 64140,14384,43.30453,-0.39349\n"
            "2A004,Ajaccio,20000 20090,71361,41.9264,8.7376\n")


def test_import_communes_creates_then_updates(app, runner, tmp_path):
    result = invoke(runner, "import-communes", write(tmp_path, COMMUNES))
    assert result.exit_code == 0, result.output
    assert "3 communes imported" in result.stdout
    assert count(Commune) == 3 and count(Neighbourhood) == 3
    # A postcode written twice is kept once.
    assert [p.postcode for p in db.session.get(Commune, "64129").postcodes] == ["64140"]

    changed = COMMUNES.replace("80441", "80000").replace("20000 20090", "20090")
    result = invoke(runner, "import-communes", write(tmp_path, changed, "again.csv"))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Commune, "64445").population == 80000
    assert [p.postcode for p in db.session.get(Commune, "2A004").postcodes] == ["20090"]
    assert count(Commune) == 3 and count(Neighbourhood) == 3  # no second neighbourhood


def test_import_communes_without_neighbourhoods(runner, tmp_path):
    result = invoke(runner, "import-communes", "--no-neighbourhood", write(tmp_path, COMMUNES))
    assert result.exit_code == 0, result.output
    assert count(Commune) == 3 and count(Neighbourhood) == 0


BAD_COMMUNES = {
    "bad INSEE code": ("64445,Pau,64000,80441,43.3,-0.35\n6412,Billère,64140,1,43.3,-0.39\n",
                       "line 3: insee_code '6412' is not an INSEE code"),
    "bad postcode": ("64445,Pau,64000,80441,43.3,-0.35\n64129,Billère,641400,1,43.3,-0.39\n",
                     "line 3: postcodes '641400' are not 5-digit postcodes"),
    "negative population": ("64445,Pau,64000,80441,43.3,-0.35\n64129,Billère,64140,-4,43.3,-0.39\n",
                            "line 3: population is negative"),
    "longitude out of range": ("64445,Pau,64000,80441,43.3,-0.35\n64129,Billère,64140,1,43.3,-190\n",
                               "line 3: longitude -190.0 is outside [-180, 180]"),
    "duplicate code": ("64445,Pau,64000,80441,43.3,-0.35\n64445,Pau,64000,80441,43.3,-0.35\n",
                       "line 3: same insee_code as line 2"),
}


def test_import_communes_refuses_a_bad_file_whole(runner, tmp_path):
    before = row_counts()

    def attempt(case):
        rows, message = case
        path = write(tmp_path, "insee_code,name,postcodes,population,latitude,longitude\n" + rows)
        assert_refused(invoke(runner, "import-communes", path), message)
        assert row_counts() == before

    refuse_each(BAD_COMMUNES, attempt)


# --- create-user ------------------------------------------------------------------------------


def test_create_user_agent_of_a_territory_can_log_in(app, runner, place):
    result = invoke(runner, "create-user", "--role", "agent", "--territory", "Territoire A",
                    "--email", " Agent.Nouveau@Example.org ", "--first-name", "Luc",
                    "--last-name", "Marque", "--password", GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "agent agent.nouveau@example.org created.\n"
    user = find_by_email("agent.nouveau@example.org")
    assert user.role is Role.AGENT and user.territory_id == place.territory_a.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry.object_id == str(user.id) and entry.actor_role == "system"
    client = factories.LoggingClient.wrap(app.test_client())
    assert client.login(user, GOOD_PASSWORD).headers["Location"].endswith("/agent/")
    assert client.get("/agent/").status_code == 200


def test_create_user_administrator_has_no_territory(runner):
    result = invoke(runner, "create-user", "--role", "admin", "--email", "chef@example.org",
                    "--first-name", "Anne", "--last-name", "Lacaze", "--password", GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    user = find_by_email("chef@example.org")
    assert user.role is Role.ADMIN and user.territory_id is None


CREATE_USER_REFUSALS = {
    "duplicate e-mail": (["--role", "admin", "--email", "EXISTING@example.org"],
                         "--email: an account with 'existing@example.org' already exists"),
    "unknown territory": (["--role", "agent", "--territory", "Atlantide", "--email", "a@example.org"],
                          "--territory: no territory named 'Atlantide'"),
    "agent without territory": (["--role", "agent", "--email", "a@example.org"],
                                "--territory is required for an agent"),
    "administrator with a territory": (["--role", "admin", "--territory", "Territoire A",
                                        "--email", "a@example.org"], "--territory is only for an agent"),
    "weak password": (["--role", "admin", "--email", "a@example.org", "--password", "court"],
                      "password: too short"),
    "common password": (["--role", "admin", "--email", "a@example.org", "--password", "123456789012"],
                        "password: too common"),
    "not an e-mail": (["--role", "admin", "--email", "jean@"], "--email: 'jean@' is not an e-mail address"),
    "empty name": (["--role", "admin", "--email", "a@example.org", "--first-name", "  "],
                   "--first-name is empty"),
}


def test_create_user_refusals(runner, place):
    accounts.create_user(Role.ADMIN, accounts.Identity("Existing", "Admin", "existing@example.org"))
    db.session.commit()
    before = row_counts()

    def attempt(case):
        options, message = case
        defaults = {"--first-name": "Luc", "--last-name": "Marque", "--password": GOOD_PASSWORD}
        args = options + [item for key, value in defaults.items() if key not in options
                          for item in (key, value)]
        assert_refused(invoke(runner, "create-user", *args), f"error: {message}")
        assert row_counts() == before

    refuse_each(CREATE_USER_REFUSALS, attempt)
