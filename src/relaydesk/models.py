"""Every table, imported in one place so metadata is complete for Alembic and tests."""

from relaydesk.accounts.models import Account, ApiToken, LoginAttempt, User, WebSession
from relaydesk.analytics.models import AnalyticsBaseline
from relaydesk.handoffs.models import Handoff
from relaydesk.live.models import Event
from relaydesk.notifications.models import Notification
from relaydesk.sessions.models import Session, Step

__all__ = [
    "Account",
    "AnalyticsBaseline",
    "ApiToken",
    "Event",
    "Handoff",
    "LoginAttempt",
    "Notification",
    "Session",
    "Step",
    "User",
    "WebSession",
]
