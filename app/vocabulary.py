"""What people read for each code of the domain: labels of enums, slots, languages and interests."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models import (
    ConcernStatus,
    Gender,
    MatchStatus,
    Mood,
    RequestStatus,
    Role,
    Severity,
    VettingKind,
    VisitKind,
    VisitStatus,
    VolunteerStatus,
)
from app.models.availability import DAYS, PERIODS

DAY_LABELS = dict(zip(DAYS, (_l("Lundi"), _l("Mardi"), _l("Mercredi"), _l("Jeudi"),
                             _l("Vendredi"), _l("Samedi"), _l("Dimanche"))))
PERIOD_LABELS = dict(zip(PERIODS, (_l("Matin"), _l("Après-midi"), _l("Soir"))))

#: Languages offered in forms (ISO 639-1), French first.
LANGUAGES = {
    "fr": _l("Français"), "oc": _l("Occitan"), "eu": _l("Basque"), "es": _l("Espagnol"),
    "pt": _l("Portugais"), "en": _l("Anglais"), "ar": _l("Arabe"), "it": _l("Italien"),
    "de": _l("Allemand"), "tr": _l("Turc"),
}

#: Interests offered in forms.
INTERESTS = {
    "reading": _l("Lecture"), "walking": _l("Promenade"), "cooking": _l("Cuisine"),
    "gardening": _l("Jardinage"), "music": _l("Musique"), "games": _l("Jeux de société"),
    "cinema": _l("Cinéma et télévision"), "history": _l("Histoire et patrimoine"),
    "crafts": _l("Travaux manuels"), "sport": _l("Sport"), "nature": _l("Nature"),
    "technology": _l("Informatique et téléphone"), "news": _l("Actualité"),
    "animals": _l("Animaux"),
}

ROLE_LABELS = {
    Role.RESIDENT: _l("Habitant·e"), Role.VOLUNTEER: _l("Bénévole"),
    Role.AGENT: _l("Agent"), Role.ADMIN: _l("Administrateur"),
}
GENDER_LABELS = {Gender.FEMALE: _l("Femme"), Gender.MALE: _l("Homme")}
VISIT_KIND_LABELS = {
    VisitKind.HOME_CHAT: _l("Discussion à domicile"), VisitKind.WALK: _l("Promenade"),
    VisitKind.PHONE_CALL: _l("Appel téléphonique"), VisitKind.ERRANDS: _l("Courses"),
}
REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: _l("En cours"), RequestStatus.PAUSED: _l("En pause"),
    RequestStatus.CLOSED: _l("Close"),
}
VOLUNTEER_STATUS_LABELS = {
    VolunteerStatus.APPLIED: _l("Candidature reçue"),
    VolunteerStatus.IN_REVIEW: _l("Vérifications en cours"),
    VolunteerStatus.APPROVED: _l("Validé·e"), VolunteerStatus.REJECTED: _l("Non retenu·e"),
    VolunteerStatus.SUSPENDED: _l("Suspendu·e"), VolunteerStatus.LEFT: _l("Parti·e"),
}
VETTING_LABELS = {
    VettingKind.CHARTER: _l("Charte acceptée"),
    VettingKind.IDENTITY: _l("Identité vérifiée"),
    VettingKind.CRIMINAL_RECORD: _l("Extrait de casier judiciaire (bulletin n°3) vu"),
    VettingKind.INTERVIEW: _l("Entretien"), VettingKind.TRAINING: _l("Formation suivie"),
}
MATCH_STATUS_LABELS = {
    MatchStatus.PROPOSED: _l("Proposée"), MatchStatus.APPROVED: _l("Approuvée"),
    MatchStatus.ACTIVE: _l("Active"), MatchStatus.PAUSED: _l("En pause"),
    MatchStatus.ENDED: _l("Terminée"), MatchStatus.REJECTED: _l("Refusée par un agent"),
    MatchStatus.DECLINED: _l("Déclinée par le bénévole"), MatchStatus.WITHDRAWN: _l("Retirée"),
}
VISIT_STATUS_LABELS = {
    VisitStatus.SCHEDULED: _l("Prévue"), VisitStatus.CANCELLED: _l("Annulée"),
    VisitStatus.DONE: _l("Faite"), VisitStatus.MISSED: _l("Manquée"),
}
MOOD_LABELS = {Mood.GOOD: _l("Bien"), Mood.FAIR: _l("Moyen"), Mood.WORRYING: _l("Inquiétant")}
SEVERITY_LABELS = {Severity.LOW: _l("Faible"), Severity.MEDIUM: _l("Moyenne"),
                   Severity.HIGH: _l("Élevée")}
CONCERN_STATUS_LABELS = {ConcernStatus.OPEN: _l("Ouverte"),
                         ConcernStatus.IN_PROGRESS: _l("En cours"),
                         ConcernStatus.CLOSED: _l("Close")}


def choices(labels: dict) -> list[tuple[str, object]]:
    """WTForms choices from a label table (enum members become their value)."""
    return [(getattr(key, "value", key), label) for key, label in labels.items()]
