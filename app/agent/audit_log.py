"""Agent console: the audit log, read-only — who did what, on which record, and when.

Agents read the entries of their own territory; an administrator reads them all. No route
changes an entry (the database refuses it anyway), and reading the log is not itself logged.
A page costs the same few queries whatever it shows: the entries come with their actor's name
in one joined query, and the link to each record is built without loading the record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import DateField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from app import vocabulary
from app.admin.forms import ListChoiceField
from app.agent import bp, scope
from app.extensions import db
from app.forms.fields import Stripped
from app.forms.rendering import page_arg
from app.models import PARIS, AuditEntry, Role, User

#: Entries on a page.
PER_PAGE = 50
#: The date picker sends 2026-03-14; a browser without one lets people type 14/03/2026.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

#: What the common action codes mean; other codes are shown as they are.
ACTION_LABELS = {
    "account.password_change": _l("Mot de passe changé"),
    "account.password_reset": _l("Mot de passe réinitialisé"),
    "account.reset_requested": _l("Lien de réinitialisation envoyé"),
    "agent.create": _l("Compte agent créé"),
    "agent.disable": _l("Compte agent désactivé"),
    "agent.enable": _l("Compte agent réactivé"),
    "agent.territory": _l("Territoire d'un agent changé"),
    "calendar.create": _l("Lien d'agenda créé"),
    "calendar.renew": _l("Lien d'agenda renouvelé"),
    "calendar.revoke": _l("Lien d'agenda supprimé"),
    "campaign.call": _l("Appel de campagne noté"),
    "campaign.close": _l("Campagne close"),
    "campaign.create": _l("Campagne ouverte"),
    "communes.import": _l("Communes importées"),
    "concern.assign": _l("Alerte confiée"),
    "concern.close": _l("Alerte close"),
    "concern.escalate": _l("Alerte en retard, remontée"),
    "concern.note": _l("Note ajoutée à une alerte"),
    "concern.raise": _l("Alerte signalée"),
    "concern.start": _l("Alerte en cours de traitement"),
    "concern.take": _l("Alerte prise en charge"),
    "consent.record": _l("Consentement enregistré"),
    "demo.load": _l("Données de démonstration chargées"),
    "export.campaign": _l("Liste d'appels exportée"),
    "export.residents": _l("Habitants exportés"),
    "export.statistics": _l("Statistiques exportées"),
    "export.volunteers": _l("Bénévoles exportés"),
    "match.accept": _l("Mise en relation acceptée par le bénévole"),
    "match.approve": _l("Proposition approuvée"),
    "match.choose": _l("Bénévole choisi à la main"),
    "match.decline": _l("Mise en relation déclinée par le bénévole"),
    "match.end": _l("Binôme terminé"),
    "match.pause": _l("Binôme mis en pause"),
    "match.reject": _l("Proposition refusée"),
    "match.resume": _l("Binôme repris"),
    "match.withdraw": _l("Proposition retirée"),
    "matching.run": _l("Calcul des propositions"),
    "neighbourhood.create": _l("Quartier ajouté"),
    "neighbourhood.update": _l("Quartier modifié"),
    "neighbourhoods.import": _l("Quartiers importés"),
    "referral.convert": _l("Signalement transformé en inscription"),
    "referral.decline": _l("Signalement sans suite"),
    "referral.submit": _l("Signalement reçu"),
    "referral.unreachable": _l("Personne signalée injoignable"),
    "referral.view": _l("Signalement consulté"),
    "request.change_volunteer": _l("Changement de bénévole demandé"),
    "request.close": _l("Demande close"),
    "request.pause": _l("Demande mise en pause"),
    "request.resume": _l("Demande reprise"),
    "request.update": _l("Demande modifiée"),
    "resident.register": _l("Habitant·e inscrit·e"),
    "resident.view": _l("Fiche d'habitant consultée"),
    "settings.matching_weights": _l("Pondérations de la mise en relation modifiées"),
    "settings.retention": _l("Durée de conservation modifiée"),
    "territory.communes": _l("Communes d'un territoire modifiées"),
    "territory.create": _l("Territoire créé"),
    "territory.rename": _l("Territoire renommé"),
    "user.create": _l("Compte créé"),
    "vetting.approve": _l("Bénévole validé·e"),
    "vetting.leave": _l("Départ d'un bénévole"),
    "vetting.reinstate": _l("Bénévole réintégré·e"),
    "vetting.reject": _l("Candidature non retenue"),
    "vetting.start_review": _l("Vérifications commencées"),
    "vetting.step": _l("Étape de vérification notée"),
    "vetting.suspend": _l("Bénévole suspendu·e"),
    "visit.cancel": _l("Visite annulée"),
    "visit.confirm": _l("Visite confirmée"),
    "visit.log": _l("Compte rendu de visite"),
    "visit.schedule": _l("Visites planifiées"),
    "volunteer.apply": _l("Candidature de bénévole"),
    "volunteer.view": _l("Fiche de bénévole consultée"),
}

#: Who acted, by the role kept on the entry.
ROLE_LABELS = {
    **{role.value: label for role, label in vocabulary.ROLE_LABELS.items()},
    "system": _l("Système (tâche programmée)"),
    "public": _l("Public (formulaire ouvert)"),
}

#: Kinds of record: label, and the page that shows one (endpoint, its id parameter, admin only).
RECORD_TYPES: dict[str, tuple] = {
    "resident": (_l("Habitant·e"), "agent.resident", "resident_id", False),
    "volunteer": (_l("Bénévole"), "agent.volunteer", "volunteer_id", False),
    "match": (_l("Binôme"), "agent.followup_pair", "match_id", False),
    "concern": (_l("Alerte"), "agent.concern", "concern_id", False),
    "referral": (_l("Signalement"), "agent.referral", "referral_id", False),
    "campaign": (_l("Campagne"), "agent.campaign", "campaign_id", False),
    "agent": (_l("Compte agent"), "admin.agent", "user_id", True),
    "territory": (_l("Territoire"), "admin.territory", "territory_id", True),
    "neighbourhood": (_l("Quartier"), "admin.edit_neighbourhood", "neighbourhood_id", True),
    "visit": (_l("Visite"), None, None, False),
    "user": (_l("Compte"), None, None, False),
    "matching_run": (_l("Calcul des propositions"), None, None, False),
    "file": (_l("Fichier"), None, None, False),
    "setting": (_l("Paramètre"), None, None, False),
}


class FrenchDateField(DateField):
    """A date field whose error message is French."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Saisissez une date, par exemple 14/03/2026.")) from None


class JournalFilters(FlaskForm):
    """What the journal shows: one action, one actor, one role, one record, a range of days."""

    class Meta:
        csrf = False

    action = ListChoiceField(_l("Action"), choices=[])
    acteur = SelectField(_l("Personne"), choices=[], validate_choice=False)
    role = ListChoiceField(_l("Rôle"), choices=[])
    objet = Stripped(_l("Identifiant de l'enregistrement"),
                     [Optional(),
                      Length(max=64, message=_l("Écrivez au plus %(max)d caractères."))],
                     description=_l("Tel qu'il apparaît dans le journal ou dans l'adresse "
                                    "de sa page."))
    du = FrenchDateField(_l("Du"), [Optional()], format=DATE_FORMATS)
    au = FrenchDateField(_l("Au (inclus)"), [Optional()], format=DATE_FORMATS)

    def validate_au(self, field):
        """The range ends on or after its first day."""
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError(_l("Choisissez un jour égal ou postérieur au premier jour."))

    def validate_acteur(self, field):
        """A person is given by the id the journal links to."""
        if field.data and _uuid(field.data) is None:
            raise ValidationError(_l("Choisissez une personne dans la liste."))


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), PARIS).astimezone(timezone.utc)


@dataclass
class Page:
    """One page of entries, and where it stands in the whole list."""

    items: list
    page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, -(-self.total // PER_PAGE))

    @property
    def has_prev(self) -> bool:
        """Whether a newer page exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether an older page exists."""
        return self.page < self.pages


@dataclass
class Row:
    """An entry as the journal prints it."""

    entry: AuditEntry
    actor_name: str | None
    record_url: str | None


def _conditions(filters: JournalFilters, territory_id: uuid.UUID | None) -> list:
    """The WHERE of the list: the territory, then each valid filter."""
    conditions = [] if territory_id is None else [AuditEntry.territory_id == territory_id]
    data = {name: None if field.errors else field.data for name, field in filters._fields.items()}
    if data["action"]:
        conditions.append(AuditEntry.action == data["action"])
    if _uuid(data["acteur"]):
        conditions.append(AuditEntry.actor_id == _uuid(data["acteur"]))
    if data["role"]:
        conditions.append(AuditEntry.actor_role == data["role"])
    if data["objet"]:
        conditions.append(AuditEntry.object_id == data["objet"])
    if data["du"]:
        conditions.append(AuditEntry.at >= _paris_midnight(data["du"]))
    if data["au"]:
        conditions.append(AuditEntry.at < _paris_midnight(data["au"] + timedelta(days=1)))
    return conditions


def _actor_name(first: str | None, last: str | None, anonymised) -> str | None:
    if anonymised is not None:
        return str(_l("Personne anonymisée"))
    return f"{first or ''} {last or ''}".strip() or None


def record_url(object_type: str, object_id: str) -> str | None:
    """The page of the record, when there is one and the reader may open it."""
    _label, endpoint, argument, admin_only = RECORD_TYPES.get(object_type,
                                                              (None, None, None, False))
    record_id = _uuid(object_id)
    if endpoint is None or record_id is None or endpoint not in current_app.view_functions:
        return None
    if admin_only and current_user.role is not Role.ADMIN:
        return None
    return url_for(endpoint, **{argument: record_id})


def _entries(conditions: list, page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    stmt = (select(AuditEntry, User.first_name, User.last_name, User.anonymised_at)
            .outerjoin(User, User.id == AuditEntry.actor_id).where(*conditions)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    rows = [Row(entry, _actor_name(first, last, erased),
                record_url(entry.object_type, entry.object_id))
            for entry, first, last, erased in db.session.execute(stmt)]
    return Page(rows, page, total or 0)


def _load_choices(filters: JournalFilters, territory_id: uuid.UUID | None) -> None:
    """The actions present in the reader's entries, the staff who may have acted, the roles."""
    scoped = [] if territory_id is None else [AuditEntry.territory_id == territory_id]
    actions = db.session.scalars(select(AuditEntry.action).where(*scoped).distinct())
    filters.action.choices = [("", _l("Toutes les actions"))] + sorted(
        ((code, f"{ACTION_LABELS[code]} ({code})" if code in ACTION_LABELS else code)
         for code in actions), key=lambda choice: str(choice[1]).casefold())
    staff = select(User.id, User.first_name, User.last_name, User.role).where(
        User.role.in_((Role.AGENT, Role.ADMIN)))
    chosen = _uuid(filters.acteur.data)
    if territory_id is not None:
        staff = staff.where(or_(User.role == Role.ADMIN, User.territory_id == territory_id,
                                User.id == chosen))
    elif chosen is not None:
        staff = select(User.id, User.first_name, User.last_name, User.role).where(
            or_(User.role.in_((Role.AGENT, Role.ADMIN)), User.id == chosen))
    filters.acteur.choices = [("", _l("Toutes les personnes"))] + [
        (str(uid), f"{first} {last} — {vocabulary.ROLE_LABELS[role]}")
        for uid, first, last, role in db.session.execute(
            staff.order_by(func.lower(User.last_name), func.lower(User.first_name)))]
    filters.role.choices = [("", _l("Tous les rôles"))] + list(ROLE_LABELS.items())


@bp.route("/journal")
def journal():
    """The audit log of the territory, newest first, 50 entries a page, with filters."""
    territory_id = scope.territory_id()
    filters = JournalFilters(request.args)
    _load_choices(filters, territory_id)
    valid = filters.validate()
    page = _entries(_conditions(filters, territory_id), page_arg())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "agent/audit/journal.html", filters=filters, page=page, args=args,
        actions=ACTION_LABELS, roles=ROLE_LABELS, record_types=RECORD_TYPES,
        when=lambda at: format_datetime(at, "dd/MM/yyyy HH:mm:ss"),
        is_admin=territory_id is None,
    ), 200 if valid else 422
