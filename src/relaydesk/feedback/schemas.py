"""Feedback in/out shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Verdict = Literal["yes", "partly", "no"]


class FeedbackIn(BaseModel):
    """The claimer's answer. A field left out stays as it was; `helpful_session_ids` replaces the set."""

    model_config = ConfigDict(extra="forbid")

    cause: Verdict | None = Field(default=None, description='"Was this the cause?": yes, partly or no.')
    helpful_session_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=20,
        description="The similar past sessions shown with the assessment that helped ('this helped').",
    )

    @model_validator(mode="after")
    def _something(self) -> FeedbackIn:
        if self.cause is None and self.helpful_session_ids is None:
            raise ValueError("Give cause, helpful_session_ids or both")
        return self


class HelpfulOut(BaseModel):
    session_id: uuid.UUID
    marked_by_id: uuid.UUID | None
    marked_at: datetime


class FeedbackOut(BaseModel):
    handoff_id: uuid.UUID
    cause: Verdict | None = Field(description="Null until answered (or inferred at resolve).")
    inferred: bool = Field(description="True when the verdict was inferred at resolve, not answered.")
    inferred_score: float | None = Field(
        description="For an inferred verdict: how much of the assessment the resolution holds (0 to 1)."
    )
    engine: str | None
    answered_by_id: uuid.UUID | None
    answered_at: datetime | None
    helpful: list[HelpfulOut]
    open: bool = Field(description="Whether the claimer can still change it (until the session resolves).")
