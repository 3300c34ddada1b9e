"""What agents must act on in the demo: concerns (one overdue) and pending referrals."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.extensions import db
from app.models import (
    Concern,
    ConcernNote,
    ConcernSource,
    ConcernStatus,
    Gender,
    Mood,
    Referral,
    Severity,
    User,
    VisitStatus,
)
from app.services.concerns import DUE_AFTER
from app.services.demo import data
from app.services.demo.context import Context
from app.services.demo.pairs import DemoPair
from app.services.visits import PARIS


def load_concerns(ctx: Context, pairs: list[DemoPair]) -> None:
    """A worrying visit (due tomorrow), two missed visits (overdue), a resident's complaint."""
    by_story = {p.story: p for p in pairs}
    worrying = by_story["worrying"]
    visit = next(v for v in worrying.visits if v.log and v.log.mood is Mood.WORRYING)
    # Written like the visit service does when a volunteer logs a worrying visit.
    _concern(ctx, worrying, ConcernSource.VISIT_LOG, Severity.HIGH, "Visite notée « inquiétante ».",
             visit.log.logged_at, worrying.volunteer.user, about_resident=True, visit=visit)

    missed = by_story["missed"]
    last = [v for v in missed.visits if v.status is VisitStatus.MISSED][-1]
    _concern(ctx, missed, ConcernSource.VOLUNTEER, Severity.MEDIUM,
             "Deux visites manquées de suite, sans réponse à la porte ni au téléphone. "
             "Pouvez-vous prendre des nouvelles ?",
             ctx.local(last.starts_at.astimezone(PARIS).date() + timedelta(days=1), 9, 15),
             missed.volunteer.user, about_resident=True,
             owner=ctx.agents[missed.resident.territory])

    complaint = by_story["complaint"]
    who = "La bénévole" if complaint.volunteer.profile.gender is Gender.FEMALE else "Le bénévole"
    agent = ctx.agents[complaint.resident.territory]
    concern = _concern(ctx, complaint, ConcernSource.RESIDENT, Severity.LOW,
                       f"{who} arrive souvent avec une demi-heure de retard, sans prévenir.",
                       ctx.days_ago(4, 10, 15), complaint.resident.user, about_resident=False,
                       owner=agent)
    concern.status = ConcernStatus.IN_PROGRESS
    db.session.add(ConcernNote(
        concern_id=concern.id, author_id=agent.id, created_at=ctx.days_ago(2, 14, 40),
        body="Appel au bénévole : contraintes de transport. Il préviendra désormais par SMS. "
             "À revoir dans quinze jours.",
    ))


def _concern(ctx: Context, pair: DemoPair, source: ConcernSource, severity: Severity,
             description: str, raised_at: datetime, by: User, *, about_resident: bool,
             visit=None, owner: User | None = None) -> Concern:
    concern = Concern(
        resident_id=pair.resident.profile.id if about_resident else None,
        volunteer_id=None if about_resident else pair.volunteer.profile.id,
        match_id=pair.match.id, visit_id=visit.id if visit else None, source=source,
        severity=severity, raised_by_id=by.id, owner_id=owner.id if owner else None,
        description=description, due_at=raised_at + DUE_AFTER[severity], created_at=raised_at,
    )
    db.session.add(concern)
    db.session.flush()
    ctx.audit("concern.raise", "concern", concern.id, at=raised_at, actor=by,
              territory=pair.resident.territory, severity=severity, source=source)
    return concern


def load_referrals(ctx: Context) -> None:
    """Three people signalled by a relative or a professional, waiting for an agent's call."""
    for (first, last, insee, has_phone, address, reason, referrer, relation, referrer_phone,
         referrer_email, days) in data.REFERRALS:
        db.session.add(Referral(
            first_name=first, last_name=last, phone=ctx.phone() if has_phone else None,
            address=address, commune_insee=insee, reason=reason, person_agreed=True,
            referrer_name=referrer, referrer_relation=relation,
            referrer_phone=ctx.phone() if referrer_phone else None,
            referrer_email=f"{referrer_email}@{data.DOMAIN}" if referrer_email else None,
            created_at=ctx.days_ago(days, 16, 20),
        ))
