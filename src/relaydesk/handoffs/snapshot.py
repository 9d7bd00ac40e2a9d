"""The handoff's snapshot: the session as it stood when it was handed off, and its steps.

`handoffs.snapshot` is JSONB; this model writes it (handoffs/escalation.py) and reads it back.
Reading is forgiving, because rows written by earlier versions must still load: fields that are
missing take their defaults, unknown ones are ignored, an unknown outcome reads as `info`, and a
step that is not an object is skipped.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Outcome = Literal["fixed", "failed", "partial", "info"]


class SnapshotStep(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID | None = None
    action: str = ""
    result: str | None = None
    outcome: Outcome = "info"
    is_note: bool = False
    author_id: uuid.UUID | None = None
    author: str = ""
    at: datetime | None = None
    # a finding added while it waited, and a correction by its author (issue 15)
    added_after_escalation: bool = False
    edited_at: datetime | None = None

    @field_validator("outcome", mode="before")
    @classmethod
    def _known_outcome(cls, value: Any) -> Any:
        return value if value in ("fixed", "failed", "partial", "info") else "info"

    @field_validator("action", "author", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else str(value)

    @field_validator("id", "author_id", "at", "edited_at", mode="before")
    @classmethod
    def _none_when_unreadable(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @property
    def kind(self) -> str:
        """What the story shows: a note, or the step's outcome."""
        return "note" if self.is_note else self.outcome


class HandoffSnapshot(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: uuid.UUID | None = None
    problem_summary: str = ""
    category: str | None = None
    client_name: str | None = None
    ticket_id: str | None = None
    priority: str = "normal"
    reason: str | None = None
    notes: str | None = None
    steps: list[SnapshotStep] = Field(default_factory=list)
    taken_at: datetime | None = None

    @field_validator("steps", mode="before")
    @classmethod
    def _objects_only(cls, value: Any) -> Any:
        return [s for s in value if isinstance(s, dict | SnapshotStep)] if isinstance(value, list) else []

    @field_validator("problem_summary", "priority", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @classmethod
    def read(cls, raw: Any) -> HandoffSnapshot:
        """The snapshot of a stored row, whatever version wrote it."""
        if not isinstance(raw, dict):
            return cls()
        raw = {k: v for k, v in raw.items() if v is not None}
        try:
            return cls.model_validate(raw)
        except ValidationError:
            # one unreadable field must not hide the story: keep what reads
            steps = [s for s in raw.get("steps") or [] if isinstance(s, dict)]
            readable = []
            for step in steps:
                try:
                    readable.append(SnapshotStep.model_validate(step))
                except ValidationError:
                    continue
            text = {k: str(raw[k]) for k in ("problem_summary", "priority") if k in raw}
            return cls(**text, steps=readable)

    def stored(self) -> dict[str, Any]:
        """The JSON written to `handoffs.snapshot`."""
        return self.model_dump(mode="json")
