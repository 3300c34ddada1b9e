"""Agent console: the dashboard of the territory, and the small helpers every console view shares.

The dashboard is two queries whatever the data size: every count of the page as one SELECT of
scalar subqueries (one aggregate each; the waiting residents and the longest wait share one
pass, so do the concerns to handle and the overdue ones), and the few most urgent concerns.
"""

from __future__ import annotations

from datetime import datetime, time

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import case, distinct, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from app.agent import bp, scope
from app.extensions import db
from app.models import (
    PARIS,
    Concern,
    Match,
    MatchStatus,
    Referral,
    ReferralStatus,
    RequestStatus,
    ResidentProfile,
    User,
    VettingStep,
    Visit,
    VisitStatus,
    VolunteerProfile,
    VolunteerStatus,
    paris_days_since,
    utcnow,
)
from app.services import attention, concern_handling
from app.services.scope import communes_of, residents_in, residents_of, volunteers_in

#: Concerns listed on the dashboard, most urgent first.
URGENT_CONCERNS = 5


def days_since(moment: datetime | None, now: datetime | None = None) -> int | None:
    """Whole Paris days between a moment and now; None when there is no moment."""
    return None if moment is None else paris_days_since(moment, now)


@bp.app_template_filter("agent_short_name")
def short_name(user: User | None) -> str:
    """First name and last name initial ("Jeanne D."), as proposals print a resident."""
    if user is None:
        return ""
    initial = (user.last_name or "")[:1]
    return f"{user.first_name} {initial}." if initial else user.first_name


@bp.context_processor
def _console_helpers() -> dict:
    return {"days_since": days_since}


# The dashboard ------------------------------------------------------------------------------

def month_start(now: datetime) -> datetime:
    """The first instant of the current month, in Paris time."""
    local = now.astimezone(PARIS)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=PARIS)


def _count(*conditions, of=None):
    return select(func.count(of) if of is not None else func.count()).where(*conditions)


def figures(territory_id, now: datetime | None = None) -> dict:
    """Every count of the dashboard, in one query of scalar subqueries."""
    now = now or utcnow()
    today = now.astimezone(PARIS).date()
    since = month_start(now)
    live = select(Match.resident_id).where(Match.status.in_(MatchStatus.live()))
    # A pair of the territory: its resident's row says so (an EXISTS on one row, where an IN
    # would make SQLite list every resident of the territory once per count).
    matches_here = (exists().where(ResidentProfile.id == Match.resident_id,
                                   residents_in(territory_id)),) if territory_id else ()
    waiting = (ResidentProfile.status == RequestStatus.OPEN, ResidentProfile.id.not_in(live),
               residents_in(territory_id), User.anonymised_at.is_(None),
               User.id == ResidentProfile.user_id)
    # How many wait and since when, in one pass over the residents.
    waiting_now = (select(func.count().label("n"),
                          func.min(ResidentProfile.waiting_since).label("since"))
                   .select_from(ResidentProfile, User).where(*waiting).subquery("waiting"))
    renewed = aliased(VettingStep)
    still_valid = exists().where(
        renewed.volunteer_id == VettingStep.volunteer_id, renewed.kind == VettingStep.kind,
        or_(renewed.expires_on.is_(None), renewed.expires_on >= today))
    approved_here = select(VolunteerProfile.id).where(
        VolunteerProfile.status == VolunteerStatus.APPROVED, volunteers_in(territory_id))
    concerns_here = concern_handling.concerns_in(territory_id)
    pending = concern_handling.PENDING
    # The concerns to handle and those overdue among them, in one pass too.
    overdue = case((concern_handling.overdue_condition(now), 1), else_=0)
    concerns_now = (select(func.count().label("open"),
                           func.coalesce(func.sum(overdue), 0).label("overdue"))
                    .where(Concern.status.in_(pending), concerns_here).subquery("concerns_now"))
    counts = {
        "referrals": _count(Referral.status == ReferralStatus.PENDING,
                            Referral.commune_insee.in_(communes_of(territory_id)))
        .select_from(Referral),
        "to_vet": _count(VolunteerProfile.status.in_((VolunteerStatus.APPLIED,
                                                       VolunteerStatus.IN_REVIEW)),
                         volunteers_in(territory_id)).select_from(VolunteerProfile),
        "expired_steps": _count(VettingStep.expires_on < today, ~still_valid,
                                VettingStep.volunteer_id.in_(approved_here),
                                of=distinct(VettingStep.volunteer_id)).select_from(VettingStep),
        "proposals": _count(Match.status == MatchStatus.PROPOSED, *matches_here)
        .select_from(Match),
        "awaiting_answer": _count(Match.status == MatchStatus.APPROVED, *matches_here)
        .select_from(Match),
        "attention": attention.count(territory_id, now),
        "new_residents": _count(ResidentProfile.created_at >= since,
                                residents_in(territory_id)).select_from(ResidentProfile),
        "new_pairs": _count(Match.accepted_at >= since, *matches_here).select_from(Match),
        "visits_done": _count(Visit.status == VisitStatus.DONE, Visit.starts_at >= since,
                              Visit.starts_at <= now,
                              *((Visit.match_id.in_(select(Match.id).where(
                                  Match.resident_id.in_(residents_of(territory_id)))),)
                                if territory_id else ()))
        .select_from(Visit),
    }
    row = db.session.execute(select(
        waiting_now.c.n.label("waiting"), waiting_now.c.since.label("longest_wait_since"),
        concerns_now.c.open.label("concerns_open"),
        concerns_now.c.overdue.label("concerns_overdue"),
        *[(q if name == "attention" else q.scalar_subquery()).label(name)
          for name, q in counts.items()],
    ).select_from(waiting_now.join(concerns_now, true()))).one()  # two one-row subqueries
    values = dict(row._mapping)
    values["longest_wait_days"] = days_since(values.pop("longest_wait_since"), now)
    return values


@bp.route("/")
def home():
    """What needs doing now, with counts that link to their queues; figures of the month."""
    territory_id = scope.territory_id()
    now = utcnow()
    links = {
        # The residents' list reads its state filter from ``etat`` (as the planned path does).
        "waiting": url_for("agent.residents", etat="waiting"),
        "referrals": url_for("agent.referrals"),
        "volunteers": url_for("agent.volunteers"),
    }
    return render_template(
        "agent/home.html", territory=current_user.territory, counts=figures(territory_id, now),
        urgent=concern_handling.most_urgent(territory_id, URGENT_CONCERNS, now),
        links=links, month=month_start(now), now=now,
    )
