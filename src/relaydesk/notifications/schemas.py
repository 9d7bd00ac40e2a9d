"""Bell item shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    link: str
    handoff_id: uuid.UUID | None
    session_id: uuid.UUID | None
    state: str
    read_at: datetime | None
    created_at: datetime


class BellOut(BaseModel):
    unread: int
    items: list[NotificationOut]
