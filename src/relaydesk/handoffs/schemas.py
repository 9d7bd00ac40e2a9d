"""Handoff in/out shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.inputs import RequestModel
from relaydesk.sessions.schemas import Priority
from relaydesk.summaries.schemas import Summary

Intent = Literal["escalate", "park"]
HandoffStatus = Literal["open", "claimed", "withdrawn", "parked", "resumed", "closed"]


class HandoffCreate(RequestModel):
    intent: Intent
    reason: str | None = Field(default=None, max_length=2000, description="Why; required to escalate.")
    notes: str | None = Field(default=None, max_length=8000)
    target_user_id: uuid.UUID | None = Field(
        default=None, description="A teammate to hand it to; empty for the team."
    )

    @field_validator("reason", "notes")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @model_validator(mode="after")
    def _reason_to_escalate(self) -> HandoffCreate:
        if self.intent == "escalate" and not self.reason:
            raise ValueError("A reason is required to escalate: say where you are stuck")
        if self.intent == "park" and self.target_user_id:
            raise ValueError("Parking is private; it takes no teammate")
        return self


class ReleaseIn(RequestModel):
    reason: str = Field(max_length=2000)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Say why you are releasing it, for whoever picks it up next")
        return value


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: uuid.UUID
    intent: Intent
    status: HandoffStatus
    created_by_id: uuid.UUID
    created_by_name: str | None = None
    target_user_id: uuid.UUID | None
    target_user_name: str | None = None
    reason: str | None
    notes: str | None
    claimed_by_id: uuid.UUID | None
    claimed_by_name: str | None = None
    claimed_at: datetime | None
    released_by_id: uuid.UUID | None = None
    released_at: datetime | None
    release_count: int
    summary_state: str
    created_at: datetime


class HandoffDetail(HandoffOut):
    """A handoff with its snapshot and summary, read by their own models (old rows load too)."""

    snapshot: HandoffSnapshot
    summary: Summary | None

    @field_validator("snapshot", mode="before")
    @classmethod
    def _read_snapshot(cls, value: Any) -> HandoffSnapshot:
        return HandoffSnapshot.read(value)

    @field_validator("summary", mode="before")
    @classmethod
    def _read_summary(cls, value: Any) -> Summary | None:
        return Summary.read(value)


class QueueItem(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    problem_summary: str
    client_name: str | None
    ticket_id: str | None
    priority: Priority
    created_by_id: uuid.UUID
    created_by_name: str
    target_user_id: uuid.UUID | None
    reason: str | None
    created_at: datetime
    step_count: int
    summary_state: str
    status: HandoffStatus
    claimed_by_name: str | None = None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    type: str
    actor_id: uuid.UUID | None
    session_id: uuid.UUID | None
    handoff_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
