"""Pydantic in/out shapes of troubleshooting sessions and steps."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaydesk.inputs import RequestModel

Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["active", "parked", "escalated", "resolved"]
Outcome = Literal["fixed", "failed", "partial", "info"]


def _required_text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} cannot be empty")
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _optional_text(value: str | None) -> str | None:
    return (value or "").strip() or None


class SessionCreate(RequestModel):
    problem_summary: str = Field(max_length=2000, description="What is wrong, in one or two sentences.")
    category: str | None = Field(default=None, max_length=100)
    client_name: str | None = Field(default=None, max_length=200)
    ticket_id: str | None = Field(default=None, max_length=64, description="The PSA ticket number.")
    priority: Priority = "normal"
    contact_name: str | None = Field(
        default=None, max_length=200, description="The client's contact; the client update greets them."
    )
    contact_email: str | None = Field(default=None, max_length=320, description="The contact's email.")

    @field_validator("problem_summary")
    @classmethod
    def _problem(cls, value: str) -> str:
        return _required_text(value, "The problem summary")

    @field_validator("category", "client_name", "ticket_id", "contact_name")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return _optional_text(value)

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        value = _optional_text(value)
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("The contact email does not look like an email address (name@example.com)")
        return value


class StepCreate(RequestModel):
    action: str = Field(max_length=4000, description="What was done (or the note's text).")
    result: str | None = Field(default=None, max_length=8000, description="What happened; empty for a note.")
    outcome: Outcome = "info"

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        return _required_text(value, "The action")

    @field_validator("result")
    @classmethod
    def _result(cls, value: str | None) -> str | None:
        return _optional_text(value)


class StepEdit(RequestModel):
    """A correction by the step's author: the fields given replace the old ones."""

    action: str | None = Field(default=None, max_length=4000)
    result: str | None = Field(default=None, max_length=8000, description="Empty string clears it.")
    outcome: Outcome | None = None

    @field_validator("action")
    @classmethod
    def _action(cls, value: str | None) -> str | None:
        return None if value is None else _required_text(value, "The action")


class ResolveIn(RequestModel):
    resolution: str = Field(max_length=8000, description="What fixed it, for the ticket and for next time.")

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str) -> str:
        return _required_text(value, "The resolution")


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None = None
    action: str
    result: str | None
    outcome: Outcome
    is_note: bool
    created_at: datetime
    edited_at: datetime | None = None


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    problem_summary: str
    category: str | None
    client_name: str | None
    contact_name: str | None = None
    contact_email: str | None = None
    ticket_id: str | None
    priority: Priority
    status: Status
    owner_id: uuid.UUID
    owner_name: str | None = None
    assignee_id: uuid.UUID | None
    assignee_name: str | None = None
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    step_count: int = 0


class SessionDetail(SessionOut):
    steps: list[StepOut] = []


COMMENT_MAX_CHARS = 4000


class CommentCreate(RequestModel):
    body: str = Field(max_length=COMMENT_MAX_CHARS, description="The remark; `@SamLee` or `@Sam` mentions.")
    step_id: uuid.UUID | None = Field(default=None, description="Reply to this step of the session.")

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        return _required_text(value, "The comment")


class Author(BaseModel):
    id: uuid.UUID
    name: str


class CommentOut(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    author: Author
    body: str
    step_id: uuid.UUID | None
    created_at: datetime
    mentioned: list[Author] = []


class CommentPage(BaseModel):
    """The list shape lists are moving to (invariant 11): a page and where the next one starts."""

    items: list[CommentOut]
    next_cursor: str | None
