"""Where a volunteer's vetting stands, step by step, as the volunteer reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.models import VettingKind, VolunteerProfile
from app.services import vetting
from app.services.visits import PARIS

#: A step that expires within this many days is flagged so it can be renewed in time.
EXPIRES_SOON = timedelta(days=30)


@dataclass(frozen=True)
class StepState:
    """One vetting step: done or not, when, until when, and whether it has expired."""

    kind: VettingKind
    done_on: date | None = None
    expires_on: date | None = None
    expired: bool = False
    expires_soon: bool = False

    @property
    def done(self) -> bool:
        """Done and still valid."""
        return self.done_on is not None and not self.expired


def vetting_progress(profile: VolunteerProfile, today: date) -> list[StepState]:
    """The five steps in order, read with the vetting service's rules (latest row of each kind
    counts; expired after its expiry day). The charter is accepted at sign-up: it counts as done
    from ``charter_accepted_at`` even when no agent wrote a step for it."""
    states = []
    for kind, step in vetting.current_steps(profile).items():
        if step is not None:
            expired = vetting.is_expired(step, today)
            soon = (not expired and step.expires_on is not None
                    and step.expires_on - today <= EXPIRES_SOON)
            states.append(StepState(kind, step.done_on, step.expires_on, expired, soon))
        elif kind is VettingKind.CHARTER and profile.charter_accepted_at is not None:
            states.append(StepState(kind, profile.charter_accepted_at.astimezone(PARIS).date()))
        else:
            states.append(StepState(kind))
    return states
