"""The data model: one module per aggregate, all re-exported here."""

from app.models.base import PARIS, Base, paris_days_since, paris_today, utcnow
from app.models.campaign import Campaign, CampaignCall
from app.models.concern import Concern, ConcernNote, Referral
from app.models.enums import (
    CallStatus,
    CampaignKind,
    Channel,
    ConcernSource,
    ConcernStatus,
    ConsentMethod,
    Gender,
    MatchStatus,
    Mood,
    OutboxStatus,
    ReferralStatus,
    RequestStatus,
    Role,
    Severity,
    VettingKind,
    VisitKind,
    VisitStatus,
    VolunteerStatus,
)
from app.models.match import Match, MatchingRun
from app.models.people import (
    ConsentRecord,
    ResidentProfile,
    VettingStep,
    VolunteerProfile,
)
from app.models.place import Commune, CommunePostcode, Neighbourhood, Territory
from app.models.record import AuditEntry, OutboxMessage, Setting
from app.models.user import PasswordResetToken, User, UserSession
from app.models.visit import Visit, VisitLog

__all__ = [
    "AuditEntry", "Base", "CallStatus", "Campaign", "CampaignCall", "CampaignKind", "Channel", "Commune", "CommunePostcode", "Concern", "ConcernNote",
    "ConcernSource", "ConcernStatus", "ConsentMethod", "ConsentRecord", "Gender", "Match",
    "MatchStatus", "MatchingRun", "Mood", "Neighbourhood", "OutboxMessage", "OutboxStatus",
    "PasswordResetToken", "Referral", "ReferralStatus", "RequestStatus", "ResidentProfile",
    "Role", "Setting", "Severity", "Territory", "User", "UserSession", "VettingKind",
    "VettingStep", "Visit", "VisitKind", "VisitLog", "VisitStatus", "VolunteerProfile",
    "VolunteerStatus", "utcnow", "PARIS", "paris_today", "paris_days_since",
]
