"""Agents handle concerns: take or assign them, add notes, open -> in progress -> closed, escalate.

Each change is a conditional UPDATE guarded by the states it may start from, like the pair
transitions: when two agents act at once, exactly one wins and the other gets
:class:`InvalidTransition`. Every change writes its audit entry (codes only, never the notes);
the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    Concern,
    ConcernNote,
    ConcernStatus,
    ResidentProfile,
    Role,
    Severity,
    User,
    VolunteerProfile,
    utcnow,
)
from app.services import audit, outbox
from app.services.concerns import territory_agents
from app.services.errors import DomainError, InvalidTransition
from app.services.scope import residents_of, territory_of_neighbourhood, volunteers_of

C = ConcernStatus
#: States in which a concern still waits for an agent.
PENDING = (C.OPEN, C.IN_PROGRESS)
#: Longest note an agent may write.
NOTE_MAX = 2000


def concerns_in(territory_id: uuid.UUID | None):
    """Condition: the concern belongs to the territory (about its resident, else its volunteer).

    The territory is the one :func:`app.services.concerns.raise_concern` told: the resident's
    when the concern is about a resident, else the volunteer's.
    """
    if territory_id is None:
        return Concern.id.is_not(None)
    return or_(Concern.resident_id.in_(residents_of(territory_id)),
               and_(Concern.resident_id.is_(None),
                    Concern.volunteer_id.in_(volunteers_of(territory_id))))


def territory_of_concern(concern: Concern) -> uuid.UUID | None:
    """The territory whose agents handle this concern."""
    if concern.resident_id is not None:
        neighbourhood = select(ResidentProfile.neighbourhood_id).where(
            ResidentProfile.id == concern.resident_id)
    else:
        neighbourhood = select(VolunteerProfile.neighbourhood_id).where(
            VolunteerProfile.id == concern.volunteer_id)
    return territory_of_neighbourhood(db.session.scalar(neighbourhood))


def overdue_condition(now: datetime | None = None):
    """Condition: not closed and past its due date."""
    return and_(Concern.status.in_(PENDING), Concern.due_at < (now or utcnow()))


def is_overdue(concern: Concern, now: datetime | None = None) -> bool:
    """Whether a concern is past its due date and not closed."""
    return concern.status in PENDING and concern.due_at < (now or utcnow())


def _change(concern: Concern, allowed: Iterable[ConcernStatus], actor: User | None, action: str,
            **values) -> Concern:
    """Apply ``values`` if the concern is still in an ``allowed`` state, else refuse."""
    allowed = tuple(allowed)
    result = db.session.execute(
        update(Concern).where(Concern.id == concern.id, Concern.status.in_(allowed))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(concern)
        raise InvalidTransition(_state_message(concern))
    db.session.refresh(concern)
    detail = {k: v for k, v in values.items() if k in ("status", "owner_id")}
    audit.record(action, "concern", concern.id, actor=actor,
                 territory_id=territory_of_concern(concern), **detail)
    return concern


def _state_message(concern: Concern) -> str:
    if concern.status is C.CLOSED:
        return _("Cette alerte est close : elle ne peut plus changer.")
    return _("Cette alerte a changé entre-temps. Rechargez la page.")


def take(concern: Concern, agent: User) -> Concern:
    """The agent takes the concern in charge (becomes its owner)."""
    if concern.owner_id == agent.id and concern.status in PENDING:
        raise DomainError(_("Vous suivez déjà cette alerte."))
    return _change(concern, PENDING, agent, "concern.take", owner_id=agent.id)


def assignable_agents(concern: Concern) -> list[User]:
    """Enabled agents of the concern's territory, by name."""
    agents = territory_agents(territory_of_concern(concern))
    return sorted(agents, key=lambda u: (u.last_name.lower(), u.first_name.lower()))


def assign(concern: Concern, to: User | None, by: User) -> Concern:
    """Give the concern to another agent of its territory, who is told by e-mail."""
    if to is None or to.id not in {a.id for a in assignable_agents(concern)}:
        raise DomainError(_("Choisissez un agent du territoire de cette alerte."), field="owner")
    if to.id == concern.owner_id:
        raise DomainError(_("Cette alerte est déjà suivie par cet agent."), field="owner")
    _change(concern, PENDING, by, "concern.assign", owner_id=to.id)
    if to.id != by.id:
        outbox.notify(to, "concern_assigned", _l("Une alerte vous est confiée"),
                      "concern_received", concern=concern)
    return concern


def start(concern: Concern, agent: User) -> Concern:
    """Open -> in progress; an agent who starts a concern nobody owns becomes its owner."""
    owner = concern.owner_id or agent.id
    return _change(concern, [C.OPEN], agent, "concern.start", status=C.IN_PROGRESS,
                   owner_id=owner)


def _clean(body: str | None, field: str) -> str:
    text = (body or "").strip()
    if not text:
        raise DomainError(_("Écrivez une note."), field=field)
    if len(text) > NOTE_MAX:
        raise DomainError(_("Écrivez au plus %(n)s caractères.", n=NOTE_MAX), field=field)
    return text


def add_note(concern: Concern, author: User, body: str | None, *,
             field: str = "body") -> ConcernNote:
    """A dated note on a concern that is not closed."""
    text = _clean(body, field)
    if concern.status is C.CLOSED:
        raise InvalidTransition(_state_message(concern))
    note = ConcernNote(concern_id=concern.id, author_id=author.id, body=text, created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    audit.record("concern.note", "concern", concern.id, actor=author,
                 territory_id=territory_of_concern(concern))
    return note


def close(concern: Concern, agent: User, note: str | None) -> Concern:
    """In progress -> closed, with a note saying what was done (required)."""
    text = _clean(note, "note")
    if concern.status is C.OPEN:
        raise InvalidTransition(_("Passez d'abord l'alerte « en cours », puis clôturez-la."))
    _change(concern, [C.IN_PROGRESS], agent, "concern.close", status=C.CLOSED,
            closed_at=utcnow())
    db.session.add(ConcernNote(concern_id=concern.id, author_id=agent.id, body=text,
                               created_at=utcnow()))
    db.session.flush()
    return concern


def escalate_overdue(now: datetime | None = None) -> list[Concern]:
    """Flag every overdue concern once and tell its owner, or its territory's agents.

    Safe to run again, also from two hosts at once: the flag is set by a conditional UPDATE
    (``escalated_at IS NULL``), so each concern is escalated and notified exactly once.
    """
    now = now or utcnow()
    due = list(db.session.scalars(
        select(Concern.id).where(overdue_condition(now), Concern.escalated_at.is_(None))
        .order_by(Concern.due_at)
    ))
    escalated = []
    for concern_id in due:
        result = db.session.execute(
            update(Concern)
            .where(Concern.id == concern_id, Concern.escalated_at.is_(None),
                   overdue_condition(now))
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        concern = db.session.get(Concern, concern_id)
        db.session.refresh(concern)
        territory_id = territory_of_concern(concern)
        for person in _escalation_recipients(concern, territory_id):
            outbox.notify(person, "concern_overdue", _l("Une alerte attend depuis trop longtemps"),
                          "concern_overdue", concern=concern)
        audit.record("concern.escalate", "concern", concern.id, territory_id=territory_id,
                     anonymous_role="system", severity=concern.severity)
        escalated.append(concern)
    return escalated


def _escalation_recipients(concern: Concern, territory_id: uuid.UUID | None) -> list[User]:
    """The owner while they may still act on it, else every agent of the territory."""
    if concern.owner_id is not None:
        owner = db.session.get(User, concern.owner_id)
        if owner is not None and owner.is_enabled and owner.role in (Role.AGENT, Role.ADMIN):
            return [owner]
    return territory_agents(territory_id)


#: Filters of the concern list: code -> condition builder.
STATE_FILTERS = ("pending", "overdue", "open", "in_progress", "closed")


@dataclass(frozen=True)
class Row:
    """A concern as the lists print it: who it is about, who follows it, whether it is late."""

    concern: Concern
    about_resident: bool
    about_name: str
    owner_name: str | None
    overdue: bool


def _filters(state: str | None, severity: str | None, now: datetime):
    conditions = []
    if state == "pending":
        conditions.append(Concern.status.in_(PENDING))
    elif state == "overdue":
        conditions.append(overdue_condition(now))
    elif state in (C.OPEN.value, C.IN_PROGRESS.value, C.CLOSED.value):
        conditions.append(Concern.status == C(state))
    if severity in {s.value for s in Severity}:
        conditions.append(Concern.severity == Severity(severity))
    return conditions


def _listing(territory_id, state, severity, match_id, now: datetime):
    """Concerns in list order: open and in progress first, overdue first, then by due date."""
    conditions = _filters(state, severity, now)
    if match_id is not None:
        conditions.append(Concern.match_id == match_id)
    closed_last = case((Concern.status == C.CLOSED, 1), else_=0)
    overdue_first = case((overdue_condition(now), 0), else_=1)
    pending_due = case((Concern.status != C.CLOSED, Concern.due_at))
    return (
        select(Concern)
        .where(concerns_in(territory_id), *conditions)
        .order_by(closed_last, overdue_first, pending_due, Concern.closed_at.desc(), Concern.id)
    )


def list_page(territory_id: uuid.UUID | None, *, page: int, per_page: int = 25,
              state: str | None = None, severity: str | None = None,
              match_id: uuid.UUID | None = None, now: datetime | None = None):
    """A page of the concern list (see :func:`_listing` for the order); ``items`` are :class:`Row`.

    Three queries whatever the page size: the count, the concerns, the names.
    """
    now = now or utcnow()
    stmt = _listing(territory_id, state, severity, match_id, now)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    pagination.items = _rows(pagination.items, now)
    return pagination


def most_urgent(territory_id: uuid.UUID | None, limit: int, now: datetime | None = None,
                match_id: uuid.UUID | None = None) -> list[Row]:
    """The first concerns still to handle, in list order (two queries, no count)."""
    now = now or utcnow()
    stmt = _listing(territory_id, "pending" if match_id is None else None, None, match_id, now)
    return _rows(list(db.session.scalars(stmt.limit(limit))), now)


def _rows(items: list[Concern], now: datetime) -> list[Row]:
    names = _names([c.id for c in items])
    return [_row(c, names.get(c.id), now) for c in items]


def _names(concern_ids: list[uuid.UUID]) -> dict:
    """Who each concern is about and who owns it, in one query."""
    if not concern_ids:
        return {}
    resident_user, volunteer_user, owner = aliased(User), aliased(User), aliased(User)
    rows = db.session.execute(
        select(Concern.id, resident_user.first_name, resident_user.last_name,
               volunteer_user.first_name, volunteer_user.last_name,
               owner.first_name, owner.last_name)
        .outerjoin(ResidentProfile, ResidentProfile.id == Concern.resident_id)
        .outerjoin(resident_user, resident_user.id == ResidentProfile.user_id)
        .outerjoin(VolunteerProfile, VolunteerProfile.id == Concern.volunteer_id)
        .outerjoin(volunteer_user, volunteer_user.id == VolunteerProfile.user_id)
        .outerjoin(owner, owner.id == Concern.owner_id)
        .where(Concern.id.in_(concern_ids))
    )
    return {row[0]: row[1:] for row in rows}


def _row(concern: Concern, names, now: datetime) -> Row:
    r_first, r_last, v_first, v_last, o_first, o_last = names or (None,) * 6
    about_resident = concern.resident_id is not None
    about = f"{r_first} {r_last}" if about_resident else f"{v_first} {v_last}"
    owner_name = f"{o_first} {o_last}" if o_first is not None else None
    return Row(concern, about_resident, about.strip(), owner_name, is_overdue(concern, now))
