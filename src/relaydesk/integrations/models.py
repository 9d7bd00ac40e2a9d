"""Tables of the integrations domain: one row per configured channel, one settings row per account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin, utcnow

CHAT_KINDS = ("slack", "teams")
PSA_KINDS = ("connectwise", "autotask", "halopsa")
KINDS = (*CHAT_KINDS, "webhook", *PSA_KINDS)
DEFAULT_PICKUP_SLA_MINUTES = 15.0


class Integration(IdMixin, TenantMixin, TimestampMixin, Base):
    """A Slack or Teams webhook, a signed webhook endpoint, or the account's PSA.

    `config` holds what may be shown (a PSA site, masked hints of the secrets); `secrets` is a
    Fernet token of the credentials (invariant 7) and never leaves the server.
    """

    __tablename__ = "integrations"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        # One PSA per account: every PSA note and ticket lookup goes to it.
        Index(
            "uq_integrations_one_psa",
            "account_id",
            unique=True,
            postgresql_where=text(f"kind IN {PSA_KINDS}"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSONB, default=list)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    secrets: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)


class IntegrationSettings(Base):
    """Account-wide delivery settings. A missing row means the defaults."""

    __tablename__ = "integration_settings"
    __table_args__ = (
        CheckConstraint("pickup_sla_minutes >= 0 AND pickup_sla_minutes <= 10080", name="pickup_sla"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # 0 turns the reminder off. A float so tests can use a few seconds.
    pickup_sla_minutes: Mapped[float] = mapped_column(
        Float, default=DEFAULT_PICKUP_SLA_MINUTES, server_default=text("15")
    )
    email_events: Mapped[list[str]] = mapped_column(
        JSONB,
        default=lambda: ["escalation", "unclaimed"],
        server_default=text('\'["escalation", "unclaimed"]\''),
    )
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow, onupdate=utcnow)
