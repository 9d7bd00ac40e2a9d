"""Every table, imported in one place so metadata is complete for Alembic and tests."""

from relaydesk.accounts.models import Account, ApiToken, LoginAttempt, User, WebSession
from relaydesk.sessions.models import Session, Step

__all__ = ["Account", "ApiToken", "LoginAttempt", "Session", "Step", "User", "WebSession"]
