"""Pydantic shapes of deliveries as people see them (no payload: the UI shows status, not content)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

Channel = Literal["email", "slack", "teams", "webhook", "psa_note"]
DeliveryStatus = Literal["pending", "sending", "sent", "failed", "dead"]


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: Channel
    event: str
    target: str
    status: DeliveryStatus
    attempts: int
    max_attempts: int | None
    next_attempt_at: datetime
    last_error: str | None
    external_id: str | None
    handoff_id: uuid.UUID | None
    session_id: uuid.UUID | None
    integration_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
