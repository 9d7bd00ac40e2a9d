"""What each kind of integration needs, and the in/out shapes of the settings API.

Fields are described once (`FIELDS`) and serve the API's validation, the settings page's forms
and the split between shown settings and encrypted secrets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaydesk.inputs import RequestModel

Kind = Literal["slack", "teams", "webhook", "connectwise", "autotask", "halopsa"]
Event = Literal["escalation", "unclaimed", "resolved"]

EVENT_LABELS: dict[str, str] = {
    "escalation": "An escalation is created",
    "unclaimed": "An escalation is still unclaimed after the pickup SLA",
    "resolved": "A session is resolved",
}
KIND_LABELS: dict[str, str] = {
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "webhook": "Signed webhook",
    "connectwise": "ConnectWise PSA",
    "autotask": "Autotask",
    "halopsa": "HaloPSA",
}
# Which events each kind can carry, and the ones a new integration starts with.
KIND_EVENTS: dict[str, tuple[str, ...]] = {
    "slack": ("escalation", "unclaimed"),
    "teams": ("escalation", "unclaimed"),
    "webhook": ("escalation", "unclaimed", "resolved"),
    "connectwise": ("escalation", "resolved"),
    "autotask": ("escalation", "resolved"),
    "halopsa": ("escalation", "resolved"),
}
EMAIL_EVENTS: tuple[str, ...] = ("escalation", "unclaimed")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    secret: bool = False
    required: bool = True
    default: str | int | None = None
    type: Literal["url", "text", "int"] = "text"
    help: str = ""


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "slack": (
        FieldSpec(
            "url",
            "Incoming webhook URL",
            secret=True,
            type="url",
            help="From Slack: Apps → Incoming Webhooks → Add New Webhook to Workspace.",
        ),
    ),
    "teams": (
        FieldSpec(
            "url",
            "Workflows webhook URL",
            secret=True,
            type="url",
            help="From Teams: the channel's Workflows → 'Post to a channel when a webhook request "
            "is received'.",
        ),
    ),
    "webhook": (
        FieldSpec(
            "url",
            "Endpoint URL",
            secret=True,
            type="url",
            help="Receives POSTs signed per Standard Webhooks.",
        ),
        FieldSpec(
            "signing_secret",
            "Signing secret",
            secret=True,
            required=False,
            help="Leave empty to have one generated (whsec_…); it is shown once.",
        ),
    ),
    "connectwise": (
        FieldSpec("site", "API site", help="e.g. api-na.myconnectwise.net"),
        FieldSpec("company_id", "Company ID"),
        FieldSpec("codebase", "Codebase", required=False, default="v4_6_release"),
        FieldSpec("public_key", "Public key", secret=True),
        FieldSpec("private_key", "Private key", secret=True),
        FieldSpec("client_id", "Client ID", secret=True, help="From developer.connectwise.com."),
    ),
    "autotask": (
        FieldSpec("username", "API user name"),
        FieldSpec("secret", "API user secret", secret=True),
        FieldSpec("integration_code", "API tracking identifier", secret=True),
        FieldSpec(
            "zone_lookup_url",
            "Zone lookup URL",
            required=False,
            type="url",
            default="https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation",
        ),
        FieldSpec("note_type", "Note type (picklist value)", required=False, type="int", default=1),
        FieldSpec(
            "publish_internal", "Publish value for internal notes", required=False, type="int", default=2
        ),
    ),
    "halopsa": (
        FieldSpec("base_url", "Instance URL", type="url", help="e.g. https://yourcompany.halopsa.com"),
        FieldSpec("client_id", "Client ID"),
        FieldSpec("client_secret", "Client secret", secret=True),
        FieldSpec("tenant", "Tenant", required=False, help="Only for hosted instances that ask for it."),
        FieldSpec("internal_outcome", "Outcome for internal notes", required=False, default="Private Note"),
    ),
}


def check_field(spec: FieldSpec, value: Any) -> str | int | None:
    """The cleaned value of one field, or ValueError with a sentence for people."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.required:
            raise ValueError(f"{spec.label} is required")
        return spec.default
    if spec.type == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{spec.label} must be a whole number") from None
    text = str(value).strip()
    if len(text) > 2000:
        raise ValueError(f"{spec.label} is too long")
    if spec.type == "url":
        try:
            url = httpx.URL(text)
        except (httpx.InvalidURL, ValueError):
            raise ValueError(f"{spec.label} is not a valid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"{spec.label} must be an http(s) URL")
    return text


class IntegrationCreate(RequestModel):
    kind: Kind
    name: str = Field(min_length=1, max_length=200, description="What people see, e.g. '#escalations'.")
    events: list[Event] | None = Field(default=None, description="Defaults per kind when omitted.")
    enabled: bool = True
    settings: dict[str, str | int | None] = Field(
        default_factory=dict, description="The kind's fields (see GET /api/v1/integrations/kinds)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name cannot be empty")
        return value.strip()


class IntegrationUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    events: list[Event] | None = None
    enabled: bool | None = None
    settings: dict[str, str | int | None] = Field(
        default_factory=dict, description="Only the fields to change; an omitted secret is kept."
    )


class IntegrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Kind
    name: str
    events: list[Event]
    enabled: bool
    settings: dict[str, str | int | None] = Field(description="Fields that are not secret.")
    secrets: dict[str, str] = Field(description="Masked hints of the stored secrets; never the secrets.")
    created_at: datetime
    updated_at: datetime


class IntegrationCreated(IntegrationOut):
    signing_secret: str | None = Field(
        default=None, description="A webhook's signing secret, returned this once and never again."
    )


class TestIn(RequestModel):
    ticket_id: str | None = Field(
        default=None, max_length=64, description="For a PSA: the ticket that gets an internal test note."
    )


class SettingsOut(BaseModel):
    pickup_sla_minutes: float
    email_events: list[Event]
    smtp_configured: bool


class SettingsUpdate(RequestModel):
    pickup_sla_minutes: int | None = Field(default=None, ge=0, le=10080, description="0 turns it off.")
    email_events: list[Event] | None = None


class TicketOut(BaseModel):
    ticket_id: str
    summary: str
    company: str | None
    priority: str | None = Field(description="The PSA's own label.")
    suggested_priority: Literal["low", "normal", "high", "urgent"] | None
    details: str | None
    psa: str
