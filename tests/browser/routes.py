"""Every page of the app, as the accessibility walk visits it: which roles, which address.

Keyed by the rule of ``app.url_map``; ``{name}`` in an address is an id of
:func:`tests.browser.site.seed_objects`. A GET rule that is neither here nor in
:data:`NOT_PAGES` fails ``test_every_page_is_walked``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Public pages: their body is the same for all; the header of each role is audited on that
#: role's own pages, so a member and a staff role stand for the others here.
EVERYONE = ("anonymous", "resident", "agent")
MEMBERS = ("resident", "volunteer", "agent", "admin")
STAFF = ("agent", "admin")


@dataclass(frozen=True)
class Walked:
    """A page: its address, the roles that open it, and whether its form is sent empty too."""

    url: str
    roles: tuple[str, ...]
    form: bool = False


PAGES: dict[str, Walked] = {
    # Public pages, for everybody.
    "/": Walked("/", EVERYONE),
    "/accessibilite": Walked("/accessibilite", EVERYONE),
    "/comment-ca-marche": Walked("/comment-ca-marche", EVERYONE),
    "/donnees-ouvertes": Walked("/donnees-ouvertes", EVERYONE),
    "/donnees-personnelles": Walked("/donnees-personnelles", EVERYONE),
    "/mentions-legales": Walked("/mentions-legales", EVERYONE),
    "/signaler": Walked("/signaler", EVERYONE, form=True),
    "/signaler/merci": Walked("/signaler/merci", EVERYONE),
    # Before logging in.
    "/connexion": Walked("/connexion", ("anonymous",), form=True),
    "/inscription": Walked("/inscription", ("anonymous",)),
    "/inscription/habitant": Walked("/inscription/habitant", ("anonymous",), form=True),
    "/inscription/benevole": Walked("/inscription/benevole", ("anonymous",), form=True),
    "/inscription/envoyee": Walked("/inscription/envoyee", ("anonymous",)),
    "/inscription/demande-recue": Walked("/inscription/demande-recue", ("anonymous",)),
    "/mot-de-passe/oubli": Walked("/mot-de-passe/oubli", ("anonymous",), form=True),
    "/mot-de-passe/nouveau/<token>": Walked("/mot-de-passe/nouveau/{reset_token}", ("anonymous",),
                                            form=True),
    "/compte/mot-de-passe": Walked("/compte/mot-de-passe", MEMBERS, form=True),
    "/mes-donnees": Walked("/mes-donnees", MEMBERS),
    "/mes-donnees/effacer": Walked("/mes-donnees/effacer", ("resident", "volunteer")),
    # Resident.
    "/habitant/": Walked("/habitant/", ("resident",)),
    "/habitant/mon-profil": Walked("/habitant/mon-profil", ("resident",), form=True),
    "/habitant/pause": Walked("/habitant/pause", ("resident",)),
    "/habitant/clore": Walked("/habitant/clore", ("resident",)),
    "/habitant/signaler-un-probleme": Walked("/habitant/signaler-un-probleme", ("resident",),
                                             form=True),
    "/habitant/mise-en-relation/<uuid:match_id>/changer": Walked(
        "/habitant/mise-en-relation/{resident_match}/changer", ("resident",)),
    "/habitant/visites/<uuid:visit_id>/annuler": Walked(
        "/habitant/visites/{coming_visit}/annuler", ("resident",)),
    # Volunteer.
    "/benevole/": Walked("/benevole/", ("volunteer",)),
    "/benevole/agenda": Walked("/benevole/agenda", ("volunteer",)),
    "/benevole/binome/<uuid:match_id>": Walked("/benevole/binome/{pair}", ("volunteer",)),
    "/benevole/binome/<uuid:match_id>/alerte": Walked("/benevole/binome/{pair}/alerte",
                                                     ("volunteer",), form=True),
    "/benevole/binome/<uuid:match_id>/decliner": Walked("/benevole/binome/{offer}/decliner",
                                                       ("volunteer",)),
    "/benevole/binome/<uuid:match_id>/fin": Walked("/benevole/binome/{pair}/fin", ("volunteer",)),
    "/benevole/binome/<uuid:match_id>/pause": Walked("/benevole/binome/{pair}/pause",
                                                    ("volunteer",)),
    "/benevole/binome/<uuid:match_id>/visites/nouvelle": Walked(
        "/benevole/binome/{pair}/visites/nouvelle", ("volunteer",), form=True),
    "/benevole/visites/<uuid:visit_id>/annuler": Walked("/benevole/visites/{coming_visit}/annuler",
                                                       ("volunteer",)),
    "/benevole/visites/<uuid:visit_id>/compte-rendu": Walked(
        "/benevole/visites/{past_visit}/compte-rendu", ("volunteer",), form=True),
    # Agents (and administrators, who see every territory).
    "/agent/": Walked("/agent/", STAFF),
    "/agent/alertes": Walked("/agent/alertes", STAFF),
    "/agent/alertes/<uuid:concern_id>": Walked("/agent/alertes/{concern}", STAFF),
    "/agent/benevoles": Walked("/agent/benevoles", STAFF),
    "/agent/benevoles/<uuid:volunteer_id>": Walked("/agent/benevoles/{volunteer}", STAFF),
    "/agent/campagnes": Walked("/agent/campagnes", STAFF, form=True),
    "/agent/campagnes/<uuid:campaign_id>": Walked("/agent/campagnes/{campaign}", STAFF),
    "/agent/campagnes/<uuid:campaign_id>/clore": Walked("/agent/campagnes/{campaign}/clore", STAFF),
    "/agent/habitants": Walked("/agent/habitants", STAFF),
    "/agent/habitants/nouveau": Walked("/agent/habitants/nouveau", STAFF, form=True),
    "/agent/habitants/<uuid:resident_id>": Walked("/agent/habitants/{waiting_resident}", STAFF),
    "/agent/habitants/<uuid:resident_id>/clore": Walked(
        "/agent/habitants/{waiting_resident}/clore", STAFF),
    "/agent/habitants/<uuid:resident_id>/modifier": Walked(
        "/agent/habitants/{waiting_resident}/modifier", STAFF, form=True),
    "/agent/habitants/<uuid:resident_id>/pause": Walked(
        "/agent/habitants/{waiting_resident}/pause", STAFF),
    "/agent/habitants/<uuid:resident_id>/effacer": Walked(
        "/agent/habitants/{desk_resident}/effacer", STAFF),
    "/agent/journal": Walked("/agent/journal", STAFF),
    "/agent/propositions": Walked("/agent/propositions", STAFF),
    "/agent/propositions/<uuid:match_id>/refuser": Walked(
        "/agent/propositions/{proposal}/refuser", STAFF),
    "/agent/propositions/habitant/<uuid:resident_id>": Walked(
        "/agent/propositions/habitant/{waiting_resident}", STAFF),
    "/agent/signalements": Walked("/agent/signalements", STAFF),
    "/agent/signalements/<uuid:referral_id>": Walked("/agent/signalements/{referral}", STAFF),
    "/agent/signalements/<uuid:referral_id>/inscrire": Walked(
        "/agent/signalements/{referral}/inscrire", STAFF, form=True),
    "/agent/statistiques": Walked("/agent/statistiques", STAFF),
    "/agent/suivi": Walked("/agent/suivi", STAFF),
    "/agent/suivi/binome/<uuid:match_id>": Walked("/agent/suivi/binome/{pau_pair}", STAFF),
    # Administrators.
    "/admin/": Walked("/admin/", ("admin",)),
    "/admin/agents": Walked("/admin/agents", ("admin",)),
    "/admin/agents/nouveau": Walked("/admin/agents/nouveau", ("admin",), form=True),
    "/admin/agents/<uuid:user_id>": Walked("/admin/agents/{staff_agent}", ("admin",)),
    "/admin/parametres": Walked("/admin/parametres", ("admin",)),
    "/admin/quartiers": Walked("/admin/quartiers", ("admin",)),
    "/admin/quartiers/nouveau": Walked("/admin/quartiers/nouveau", ("admin",), form=True),
    "/admin/quartiers/import": Walked("/admin/quartiers/import", ("admin",)),
    "/admin/quartiers/<uuid:neighbourhood_id>/modifier": Walked(
        "/admin/quartiers/{neighbourhood}/modifier", ("admin",)),
    "/admin/territoires": Walked("/admin/territoires", ("admin",), form=True),
    "/admin/territoires/<uuid:territory_id>": Walked("/admin/territoires/{territory}", ("admin",)),
}

#: GET rules that are not pages a person reads, or that another test audits; and why.
NOT_PAGES: dict[str, str] = {
    "/static/<path:filename>": "static files",
    "/healthz": "a health probe for the load balancer, plain text",
    "/langue/<code>": "sets the language and redirects back (no page of its own)",
    "/donnees-ouvertes/statistiques.csv": "CSV download",
    "/agent/statistiques.csv": "CSV download",
    "/agent/export/benevoles.csv": "CSV download",
    "/agent/export/habitants.csv": "CSV download",
    "/agent/campagnes/<uuid:campaign_id>/export.csv": "CSV download",
    "/benevole/agenda/<token>.ics": "iCalendar feed",
    "/mes-donnees/export.json": "JSON download of the person's data",
    "/inscription/habitant/<slug>": "each step is audited by test_journeys.py (resident sign-up)",
    "/inscription/benevole/<slug>": "each step is audited by test_journeys.py (volunteer sign-up)",
}


def visits() -> list[tuple[str, str]]:
    """(role, rule) of every visit of the walk."""
    return [(role, rule) for rule, page in PAGES.items() for role in page.roles]
