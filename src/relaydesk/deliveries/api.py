"""JSON routes of deliveries: what was sent where, and retry now."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from relaydesk.accounts.actor import Actor
from relaydesk.deliveries import reading
from relaydesk.deliveries.models import Delivery
from relaydesk.deliveries.schemas import DeliveryOut
from relaydesk.settings import Settings
from relaydesk.web.deps import CurrentActor, SettingsDep, UowDep

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])


def delivery_out(row: Delivery, settings: Settings, actor: Actor) -> DeliveryOut:
    out = DeliveryOut.model_validate(row)
    return out.model_copy(
        update={
            "max_attempts": row.max_attempts or settings.delivery_max_attempts,
            "last_error": reading.shown_error(actor, row),
        }
    )


@router.get("", response_model=list[DeliveryOut])
async def list_deliveries(
    uow: UowDep,
    actor: CurrentActor,
    settings: SettingsDep,
    handoff_id: uuid.UUID | None = Query(None, description="One escalation's deliveries."),
    session_id: uuid.UUID | None = Query(None, description="Every delivery about one session."),
) -> list[DeliveryOut]:
    """Channel, target, status, attempts and last error of each outbound message (never its text).
    Without a filter: the account's latest 200."""
    rows = await reading.list_deliveries(uow, actor, handoff_id=handoff_id, session_id=session_id)
    return [delivery_out(row, settings, actor) for row in rows]


@router.get("/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(
    delivery_id: uuid.UUID, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> DeliveryOut:
    return delivery_out(await reading.get_delivery(uow, actor, delivery_id), settings, actor)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
async def retry(
    delivery_id: uuid.UUID, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> DeliveryOut:
    """Admins and owners: send a failed or dead delivery again now."""
    row = await reading.retry_now(uow, actor, delivery_id, extra_attempts=settings.delivery_max_attempts)
    return delivery_out(row, settings, actor)
