"""Every state and closed vocabulary of the domain, as string enums stored by value."""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    """What a person does in the service; one role per account."""

    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    AGENT = "agent"
    ADMIN = "admin"


class Gender(str, enum.Enum):
    """Gender as declared by a volunteer, or asked for by a resident."""

    FEMALE = "f"
    MALE = "m"


class VisitKind(str, enum.Enum):
    """The kind of visit a resident prefers."""

    HOME_CHAT = "home_chat"
    WALK = "walk"
    PHONE_CALL = "phone_call"
    ERRANDS = "errands"


class RequestStatus(str, enum.Enum):
    """A resident's request; waiting / proposed / active are read from the live match."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class VolunteerStatus(str, enum.Enum):
    """Vetting states: applied -> in review -> approved | rejected; approved <-> suspended; any -> left."""

    APPLIED = "applied"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    LEFT = "left"


class VettingKind(str, enum.Enum):
    """The steps a volunteer passes before being proposed to anyone."""

    CHARTER = "charter"
    IDENTITY = "identity"
    CRIMINAL_RECORD = "criminal_record"
    INTERVIEW = "interview"
    TRAINING = "training"


class MatchStatus(str, enum.Enum):
    """A pair's life: proposed -> approved -> active <-> paused -> ended, or refused on the way."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @classmethod
    def live(cls) -> tuple["MatchStatus", ...]:
        """States in which the pair holds the resident and a place of the volunteer's capacity."""
        return (cls.PROPOSED, cls.APPROVED, cls.ACTIVE, cls.PAUSED)

    @classmethod
    def excluding(cls) -> tuple["MatchStatus", ...]:
        """States after which the same pair is never proposed again (PRODUCT.md §2 rule 6)."""
        return (cls.REJECTED, cls.DECLINED, cls.ENDED)


class VisitStatus(str, enum.Enum):
    """A planned visit and what became of it."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"
    MISSED = "missed"


class Mood(str, enum.Enum):
    """How the resident seemed during a visit."""

    GOOD = "good"
    FAIR = "fair"
    WORRYING = "worrying"


class ConsentMethod(str, enum.Enum):
    """How a person's consent was given."""

    ONLINE = "online"
    ORAL = "oral"
    WRITTEN = "written"
    SIGNED_FORM = "signed_form"


class ReferralStatus(str, enum.Enum):
    """A referral from a relative or professional, in the agents' queue."""

    PENDING = "pending"
    CONVERTED = "converted"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"


class ConcernStatus(str, enum.Enum):
    """A concern: open -> in progress -> closed."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Severity(str, enum.Enum):
    """How urgent a concern is; sets its due date."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ConcernSource(str, enum.Enum):
    """Who raised a concern."""

    VOLUNTEER = "volunteer"
    RESIDENT = "resident"
    AGENT = "agent"
    VISIT_LOG = "visit_log"


class Channel(str, enum.Enum):
    """How a notification reaches a person."""

    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(str, enum.Enum):
    """A notification waiting in the outbox, sent, or given up after its retries."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class CampaignKind(str, enum.Enum):
    """Seasonal call campaigns (plan canicule, plan grand froid)."""

    HEATWAVE = "heatwave"
    COLD = "cold"


class CallStatus(str, enum.Enum):
    """The outcome of a campaign call to one resident."""

    PENDING = "pending"
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    VISIT_NEEDED = "visit_needed"
