"""Pydantic in/out shapes of the accounts domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from relaydesk.inputs import RequestModel

Role = Literal["owner", "admin", "engineer", "viewer"]


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class UserCreate(RequestModel):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    email: str
    name: str
    role: Role
    email_notifications: bool
    created_at: datetime
    deleted_at: datetime | None = None


class MeOut(UserOut):
    account: AccountOut


class TokenCreate(RequestModel):
    label: str = Field(default="API token", min_length=1, max_length=200)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret itself. Shown once; only its hash is stored.")
