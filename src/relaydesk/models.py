"""Every table, imported in one place so metadata is complete for Alembic and tests."""

from relaydesk.accounts.models import Account, ApiToken, LoginAttempt, User, WebSession
from relaydesk.analytics.models import AnalyticsBaseline
from relaydesk.attachments.models import Attachment, AttachmentChunk
from relaydesk.deliveries.models import Delivery, Reminder
from relaydesk.feedback.models import AssessmentFeedback, HelpfulMark
from relaydesk.handoffs.models import Handoff
from relaydesk.imports.models import ImportCursor
from relaydesk.integrations.models import Integration, IntegrationSettings
from relaydesk.live.models import Event
from relaydesk.notifications.models import Notification
from relaydesk.sessions.models import Session, Step
from relaydesk.summaries.models import ModelRun, SessionSuggestions, SummaryJob
from relaydesk.summaries.search_index import SearchCorpus, SearchPosting, SearchTerm

__all__ = [
    "Account",
    "AnalyticsBaseline",
    "ApiToken",
    "AssessmentFeedback",
    "Attachment",
    "AttachmentChunk",
    "Delivery",
    "Event",
    "Handoff",
    "HelpfulMark",
    "ImportCursor",
    "Integration",
    "IntegrationSettings",
    "LoginAttempt",
    "ModelRun",
    "Notification",
    "Reminder",
    "SearchCorpus",
    "SearchPosting",
    "SearchTerm",
    "Session",
    "SessionSuggestions",
    "Step",
    "SummaryJob",
    "User",
    "WebSession",
]
