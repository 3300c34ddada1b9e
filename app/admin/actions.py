"""What an administrator changes: territories, neighbourhoods, agent accounts, settings.

Each operation checks what it must, changes the rows, writes its audit entry and flushes; the
view commits once. Rules broken by the input raise :class:`DomainError` with the field to
show the message next to.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Commune, Neighbourhood, Role, Setting, Territory, User, utcnow
from app.security import sessions
from app.services import accounts, audit, places
from app.services.errors import DomainError
from app.services.settings import matching_weights, retention_months

# Territories -----------------------------------------------------------------------------------

def _name_taken(name: str, but: uuid.UUID | None = None) -> bool:
    # SQLite's lower() folds ASCII letters only: the name as typed is compared as well.
    stmt = select(Territory.id).where(
        or_(func.lower(Territory.name) == name.lower(), Territory.name == name))
    if but is not None:
        stmt = stmt.where(Territory.id != but)
    return db.session.scalar(stmt) is not None


def _taken_error() -> DomainError:
    return DomainError(_("Un territoire porte déjà ce nom."), field="name")


@contextmanager
def _unless_taken(error: DomainError):
    """Make a change inside a savepoint and flush it there; when the unique key refuses it
    (another administrator took the name a moment ago), only the savepoint is undone and
    ``error`` is raised.

    The change must happen inside: ``begin_nested()`` first flushes what is pending, and a
    refusal there would spoil the whole transaction (and the page that shows the error).
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        raise error from None


def create_territory(name: str, by: User) -> Territory:
    """A new territory, with no commune yet."""
    if _name_taken(name):
        raise _taken_error()
    territory = Territory(name=name)
    with _unless_taken(_taken_error()):
        db.session.add(territory)
    audit.record("territory.create", "territory", territory.id, actor=by,
                 territory_id=territory.id)
    return territory


def rename_territory(territory: Territory, name: str, by: User) -> bool:
    """Give a territory another name; False when it was already its name."""
    if name == territory.name:
        return False
    if _name_taken(name, but=territory.id):
        raise _taken_error()
    with _unless_taken(_taken_error()):
        territory.name = name
    audit.record("territory.rename", "territory", territory.id, actor=by, territory_id=territory.id)
    return True


def set_communes(territory: Territory, codes: set[str], by: User) -> tuple[list[str], list[str]]:
    """Make ``codes`` the communes of the territory; (added, removed) INSEE codes.

    A commune taken from another territory leaves it: that territory's log says so too, so
    its agents see why residents left their lists.
    """
    communes = db.session.scalars(select(Commune).where(
        (Commune.territory_id == territory.id) | Commune.insee_code.in_(codes))).all()
    added, removed, losers = [], [], {}
    for commune in communes:
        if commune.insee_code in codes and commune.territory_id != territory.id:
            if commune.territory_id is not None:
                losers.setdefault(commune.territory_id, []).append(commune.insee_code)
            commune.territory_id = territory.id
            added.append(commune.insee_code)
        elif commune.insee_code not in codes and commune.territory_id == territory.id:
            commune.territory_id = None
            removed.append(commune.insee_code)
    if not added and not removed:
        return [], []
    db.session.flush()
    audit.record("territory.communes", "territory", territory.id, actor=by,
                 territory_id=territory.id, added=sorted(added), removed=sorted(removed))
    for loser, lost in losers.items():
        audit.record("territory.communes", "territory", loser, actor=by, territory_id=loser,
                     removed=sorted(lost), to=str(territory.id))
    return sorted(added), sorted(removed)


# Neighbourhoods --------------------------------------------------------------------------------

def save_neighbourhood(neighbourhood: Neighbourhood | None, *, commune_insee: str, name: str,
                       latitude: float, longitude: float, by: User) -> Neighbourhood:
    """Add a neighbourhood (``neighbourhood`` None) or change one; unique per commune and name."""
    commune = db.session.get(Commune, commune_insee)
    if commune is None:
        raise DomainError(_("Choisissez la commune dans la liste."), field="commune")
    same = select(Neighbourhood.id).where(
        Neighbourhood.commune_insee == commune_insee,
        or_(func.lower(Neighbourhood.name) == name.lower(), Neighbourhood.name == name))
    if neighbourhood is not None:
        same = same.where(Neighbourhood.id != neighbourhood.id)
    taken = DomainError(_("Cette commune a déjà un quartier de ce nom."), field="name")
    if db.session.scalar(same) is not None:
        raise taken
    created = neighbourhood is None
    with _unless_taken(taken):
        if created:
            neighbourhood = Neighbourhood()
            db.session.add(neighbourhood)
        neighbourhood.commune_insee, neighbourhood.name = commune_insee, name
        neighbourhood.latitude, neighbourhood.longitude = latitude, longitude
    audit.record("neighbourhood.create" if created else "neighbourhood.update", "neighbourhood",
                 neighbourhood.id, actor=by, territory_id=commune.territory_id,
                 commune=commune_insee)
    return neighbourhood


def import_neighbourhoods(data: bytes, filename: str, by: User) -> tuple[int, int]:
    """Check then save a neighbourhoods CSV file, all or nothing; (created, updated).

    Raises :class:`places.InvalidFile` with the problems, by line number.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise places.InvalidFile([_(
            "ligne %(line)s : le fichier n'est pas encodé en UTF-8. Enregistrez-le avec "
            "l'encodage « UTF-8 » (dans un tableur : « CSV UTF-8 »).", line=line)]) from None
    if not text.strip():
        raise places.InvalidFile([_("Le fichier est vide.")])
    if "\x00" in text:
        raise places.InvalidFile([_("Le fichier contient des caractères nuls : ce n'est pas "
                                    "un fichier texte CSV.")])
    rows = places.parse_neighbourhoods(text)
    if not rows:
        raise places.InvalidFile([_("Le fichier ne contient aucun quartier.")])
    created, updated = places.save_neighbourhoods(rows)
    audit.record("neighbourhoods.import", "file", filename[:64] or "-", actor=by,
                 created=created, updated=updated)
    return created, updated


# Agents ----------------------------------------------------------------------------------------

def create_agent(first_name: str, last_name: str, email: str, territory: Territory,
                 by: User) -> User:
    """An agent account; the agent gets an e-mail with a link to choose their password.

    The account starts with a random password nobody knows, so that the ordinary reset link
    works; until the agent chooses one, nobody can log in with it.
    """
    user = accounts.create_user(Role.AGENT, accounts.Identity(
        first_name=first_name, last_name=last_name, email=email,
        password=secrets.token_urlsafe(32)))
    user.territory_id = territory.id
    db.session.flush()
    audit.record("agent.create", "agent", user.id, actor=by, territory_id=territory.id)
    accounts.request_password_reset(user.email)
    return user


def move_agent(agent: User, territory: Territory, by: User) -> bool:
    """Put an agent on another territory; False when it already was theirs."""
    if agent.territory_id == territory.id:
        return False
    old = agent.territory_id
    agent.territory_id = territory.id
    db.session.flush()
    audit.record("agent.territory", "agent", agent.id, actor=by, territory_id=territory.id,
                 **{"from": str(old) if old else None, "to": str(territory.id)})
    return True


def set_agent_enabled(agent: User, enabled: bool, by: User) -> bool:
    """Disable (ending every session at once) or enable an account; False when unchanged."""
    if agent.is_enabled == enabled:
        return False
    agent.is_enabled = enabled
    if not enabled:
        sessions.end_other_sessions(agent.id, keep_current=False)
    db.session.flush()
    audit.record("agent.enable" if enabled else "agent.disable", "agent", agent.id, actor=by,
                 territory_id=agent.territory_id)
    return True


# Settings --------------------------------------------------------------------------------------

def _store(key: str, value: dict, by: User) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        row = Setting(key=key)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by_id = value, utcnow(), by.id


def save_settings(weights: dict[str, float], retention: int, by: User) -> list[str]:
    """Store the weights and the retention period; the keys that changed."""
    changed = []
    old_weights = matching_weights()
    if weights != old_weights:
        _store("matching_weights", dict(weights), by)
        audit.record("settings.matching_weights", "setting", "matching_weights", actor=by,
                     **{"from": old_weights, "to": dict(weights)})
        changed.append("matching_weights")
    old_retention = retention_months()
    if retention != old_retention:
        _store("retention", {"months": retention}, by)
        audit.record("settings.retention", "setting", "retention", actor=by,
                     **{"from": old_retention, "to": retention})
        changed.append("retention")
    db.session.flush()
    return changed

