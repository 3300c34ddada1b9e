"""The people's journeys in Chromium, on the demo data, with the keyboard alone where it matters.

A resident signs up and sees that she waits; a referrer signals a person; a volunteer signs up;
the agent of Pau vets him, registers a resident by phone, runs the matching and gives him to
the resident (approves his proposal, or picks him from her ranked list when the optimum gave
his places to people who waited longer: see agent_matches); he accepts, schedules and logs a
visit; the resident sees her next visit; the agent handles a concern. Every page on the way,
success pages included, passes the accessibility audit, and no request leaves 127.0.0.1 (the
``offsite`` fixture).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    PARIS,
    Match,
    MatchStatus,
    ResidentProfile,
    User,
    Visit,
    VolunteerProfile,
    utcnow,
)
from app.services.demo import DEMO_PASSWORD
from tests.browser.audit import assert_accessible
from tests.browser.keyboard import choose, field, follow, pick, send, tab_to, tick, type_in
from tests.browser.site import ACCOUNTS, login

pytestmark = pytest.mark.browser
PASSWORD = "le chat dort sur le banc 7"


def fresh_page(site):
    """A page with cookies of its own (a new person at a new computer)."""
    return site.context().new_page()


def step(page, heading: str) -> None:
    """The page shown is the step titled ``heading``, and it passes the audit."""
    assert page.locator("h1").inner_text().strip() == heading, page.locator("h1").inner_text()
    assert_accessible(page)


BASTIEN_SLOTS = ("Lundi après-midi", "Jeudi matin")


def resident_signs_up(page, first: str, email: str, slots: tuple[str, ...]) -> None:
    """The six steps of a resident's sign-up and the summary, by keyboard; each step audited.

    Only the long journey's resident shares her moments with the volunteer who signs up there,
    so the other journeys do not compete for his places."""
    page.goto("/inscription/habitant")
    step(page, "Vous")
    type_in(page, "Prénom", first)
    type_in(page, "Nom", "Navarre")
    type_in(page, "Téléphone", "05 36 49 12 34")
    type_in(page, "Adresse e-mail", email)
    send(page, "Continuer")
    step(page, "Où vous habitez")
    type_in(page, "Adresse postale", "4 rue Bordenave d'Abère")
    type_in(page, "Code postal", "64000")
    send(page, "Continuer")
    step(page, "Où vous habitez")  # the neighbourhoods of the postcode, to check
    send(page, "Continuer")
    step(page, "Vos visites")
    choose(page, "Discussion à domicile")
    send(page, "Continuer")
    step(page, "Langues et centres d'intérêt")
    tick(page, "Français")
    tick(page, "Lecture")
    send(page, "Continuer")
    step(page, "Vos disponibilités")
    for slot in slots:
        tick(page, slot)
    send(page, "Continuer")
    step(page, "Votre accord")
    tick(page, "J'accepte que mes données soient utilisées pour me mettre en relation, "
               "comme l'explique la notice ci-dessus.")
    send(page, "Continuer")
    step(page, "Vérifiez vos réponses")
    type_in(page, "Choisissez un mot de passe", PASSWORD)
    send(page, "Envoyer ma demande")
    assert page.url.endswith("/inscription/envoyee")
    assert_accessible(page)


def test_a_resident_signs_up_and_sees_that_she_waits(site, offsite):
    page = fresh_page(site)
    resident_signs_up(page, "Lucienne", "lucienne.navarre@example.org", ("Mardi soir",))
    login(page, "lucienne.navarre@example.org", PASSWORD)
    assert page.url.endswith("/habitant/")
    assert "Vous attendez un·e bénévole depuis aujourd'hui." in page.inner_text("main")
    assert_accessible(page)


def test_a_relative_signals_a_person_with_the_keyboard(site, offsite):
    page = fresh_page(site)
    page.goto("/signaler")
    assert_accessible(page)
    type_in(page, "Prénom de la personne", "Armand")
    type_in(page, "Nom de la personne", "Pucheu")
    type_in(page, "Son téléphone", "05 36 49 77 01")
    pick(page, "Sa commune", "Pau")
    type_in(page, "Pourquoi cette personne vous semble-t-elle isolée ?",
            "Il ne sort plus depuis l'hiver.")
    type_in(page, "Votre nom", "Hélène Pucheu")
    type_in(page, "Votre téléphone", "05 36 49 77 02")
    pick(page, "Vous êtes", "Membre")
    tick(page, "La personne est d'accord pour être contactée par le service.")
    send(page, "Envoyer le signalement")
    assert page.url.endswith("/signaler/merci")
    assert_accessible(page)


def volunteer_signs_up(page, email: str) -> None:
    """The five steps of a volunteer's application and the summary, by keyboard."""
    page.goto("/inscription/benevole")
    step(page, "Vous")
    type_in(page, "Prénom", "Bastien")
    type_in(page, "Nom", "Lacoste")
    type_in(page, "Adresse e-mail", email)
    send(page, "Continuer")
    step(page, "Votre secteur")
    type_in(page, "Code postal", "64000")
    send(page, "Continuer")
    step(page, "Votre secteur")
    type_in(page, "Distance maximale que vous acceptez de parcourir (km)", "3")
    send(page, "Continuer")
    step(page, "Vos disponibilités")
    tick(page, "Lundi après-midi")
    tick(page, "Jeudi matin")
    type_in(page, "Combien de personnes pouvez-vous suivre ?", "2")
    send(page, "Continuer")
    step(page, "Langues et centres d'intérêt")
    tick(page, "Français")
    tick(page, "Lecture")
    send(page, "Continuer")
    step(page, "La charte et votre accord")
    tick(page, "J'ai lu la charte du bénévole et je m'engage à la respecter.")
    tick(page, "J'accepte que mes données soient utilisées pour me mettre en relation, "
               "comme l'explique la notice ci-dessus.")
    send(page, "Continuer")
    step(page, "Vérifiez vos réponses")
    type_in(page, "Choisissez un mot de passe", PASSWORD)
    send(page, "Envoyer ma candidature")
    assert page.url.endswith("/inscription/envoyee")


def read(stmt):
    """One value as the server committed it; the session is closed at once, as a SQLite read
    transaction left open would lock the server's writes out."""
    db.session.rollback()
    try:
        return db.session.execute(stmt).first()
    finally:
        db.session.close()


def profile_id(model, email: str) -> str:
    return str(read(select(model.id).join(User, model.user_id == User.id)
                    .where(User.email == email))[0])


def agent_vets(site, page, volunteer_id: str) -> None:
    """The agent records the four steps left (the charter was accepted online), then validates;
    an error page comes with the end of the server's log."""
    response = page.goto(f"/agent/benevoles/{volunteer_id}")
    assert response.status == 200, f"{response.status}: {site.server.log_text()[-3000:]}"
    assert_accessible(page)
    for kind in ("Identité vérifiée", "Extrait de casier judiciaire", "Entretien",
                 "Formation suivie"):
        pick(page, "Étape", kind)
        send(page, "Enregistrer l'étape")
    assert "Les cinq étapes sont faites et valables." in page.inner_text("main")
    send(page, "Valider")
    assert_accessible(page)


def agent_registers_by_phone(page) -> None:
    page.goto("/agent/habitants/nouveau")
    type_in(page, "Prénom", "Marcelle")
    type_in(page, "Nom", "Cazenave")
    type_in(page, "Téléphone", "05 36 49 55 10")
    type_in(page, "Adresse postale", "9 rue des Cordeliers")
    type_in(page, "Code postal", "64000")
    pick(page, "Quartier", "Pau")
    choose(page, "Appel téléphonique")
    tick(page, "Français")
    tick(page, "Vendredi matin")
    choose(page, "La personne elle-même")
    choose(page, "Oralement (au téléphone ou au guichet)")
    send(page, "Enregistrer l'inscription")
    assert "/agent/habitants/" in page.url
    assert_accessible(page)


def agent_matches(page, resident_id: str, volunteer_name: str) -> None:
    """Run the matching of Pau, then give the volunteer to the resident from her ranked
    candidates: approve him when the matching proposed him, pick him otherwise."""
    page.goto("/agent/propositions")
    send(page, "Lancer la mise en relation")
    assert_accessible(page)
    page.goto(f"/agent/propositions/habitant/{resident_id}")
    assert_accessible(page)
    approve = re.compile(rf"^Approuver\W+{volunteer_name}$")
    if page.get_by_role("button", name=approve).count():
        send(page, approve)
    else:
        # The optimum may give his places to people who waited longer: the agent then picks
        # him from her ranked list, which proposes and approves in one step.
        send(page, re.compile(rf"^Choisir\W+{volunteer_name}$"))
    assert page.locator(".notice-success").count() == 1
    assert_accessible(page)


def test_from_sign_up_to_the_first_visit(site, offsite):
    resident, volunteer = fresh_page(site), fresh_page(site)
    resident_signs_up(resident, "Odile", "odile.navarre@example.org", BASTIEN_SLOTS)
    volunteer_signs_up(volunteer, "bastien.lacoste@example.org")

    agent = fresh_page(site)
    login(agent, ACCOUNTS["agent"], DEMO_PASSWORD)
    agent_vets(site, agent, profile_id(VolunteerProfile, "bastien.lacoste@example.org"))
    agent_registers_by_phone(agent)
    agent_matches(agent, profile_id(ResidentProfile, "odile.navarre@example.org"),
                  "Bastien Lacoste")

    login(volunteer, "bastien.lacoste@example.org", PASSWORD)
    assert_accessible(volunteer)
    match_id, status = read(select(Match.id, Match.status).join(VolunteerProfile).join(
        User, VolunteerProfile.user_id == User.id).where(User.email == "bastien.lacoste@example.org"))
    assert status is MatchStatus.APPROVED
    volunteer.goto(f"/benevole/binome/{match_id}")
    assert_accessible(volunteer)
    send(volunteer, "J'accepte de rendre visite à Odile")
    assert_accessible(volunteer)
    volunteer_schedules_and_logs(volunteer, str(match_id))

    login(resident, "odile.navarre@example.org", PASSWORD)
    home = resident.inner_text("main")
    assert "Vos prochaines visites" in home and "Bastien" in home, home
    assert_accessible(resident)

    volunteer_raises_a_concern(volunteer, str(match_id))
    agent_handles_the_concern(agent)


def next_monday(after_days: int = 2) -> date:
    day = datetime.now(PARIS).date() + timedelta(days=after_days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def volunteer_schedules_and_logs(page, match_id: str) -> None:
    """Plan weekly visits on a shared moment (Monday afternoon); a week later, log the first."""
    follow(page, "Planifier une visite")
    assert_accessible(page)
    field(page, "Date de la (première) visite").fill(next_monday().isoformat())
    pick(page, "Heure d'arrivée", "15:00")
    pick(page, "Répéter", "Chaque semaine, 4")
    send(page, "Planifier")
    assert_accessible(page)
    (first,) = read(select(Visit.id).where(Visit.match_id == uuid.UUID(match_id))
                    .order_by(Visit.starts_at))
    db.session.execute(update(Visit).where(Visit.id == first)  # a week goes by
                       .values(starts_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    db.session.close()
    page.goto(f"/benevole/visites/{first}/compte-rendu")
    assert_accessible(page)
    choose(page, "Oui, elle a eu lieu")
    choose(page, "Bien")
    type_in(page, "Une courte note", "Nous avons parlé de ses lectures.")
    send(page, "Enregistrer")
    assert_accessible(page)


def volunteer_raises_a_concern(page, match_id: str) -> None:
    page.goto(f"/benevole/binome/{match_id}/alerte")
    type_in(page, "Qu'est-ce qui vous inquiète ?", "Elle a fait une chute la semaine dernière.")
    send(page, "Prévenir un agent")
    assert_accessible(page)


def agent_handles_the_concern(page) -> None:
    """The agent finds the concern first in the list, takes it, notes a call, closes it."""
    page.goto("/agent/alertes")
    assert_accessible(page)
    follow(page, re.compile(r"^Au sujet de Odile N"))
    assert_accessible(page)
    send(page, "Je la prends en charge")
    send(page, "Passer « en cours »")
    tab_to(page, page.locator("form[action$='/note'] textarea"))
    page.keyboard.type("Appelée : elle va bien, son médecin est passé.")
    send(page, "Ajouter la note")
    tab_to(page, page.locator("form[action$='/clore'] textarea"))
    page.keyboard.type("Rien de plus à faire.")
    send(page, "Clore l'alerte")
    assert_accessible(page)
