"""JSON routes of integration settings (admins and owners), and the PSA ticket lookup (engineers)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from relaydesk.deliveries import service as deliveries
from relaydesk.deliveries.api import delivery_out
from relaydesk.deliveries.schemas import DeliveryOut
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import (
    EVENT_LABELS,
    FIELDS,
    KIND_EVENTS,
    KIND_LABELS,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationOut,
    IntegrationUpdate,
    SettingsOut,
    SettingsUpdate,
    TestIn,
    TicketOut,
)
from relaydesk.web.deps import CurrentActor, DetachedActor, SettingsDep, UowDep, get_db

router = APIRouter(prefix="/api/v1", tags=["integrations"])


@router.get("/integrations/kinds")
async def kinds(actor: CurrentActor) -> dict[str, Any]:
    """Each kind's fields (secret ones are write-only) and the events it can carry."""
    return {
        kind: {
            "label": KIND_LABELS[kind],
            "events": list(KIND_EVENTS[kind]),
            "fields": [
                {"name": f.name, "label": f.label, "secret": f.secret, "required": f.required, "type": f.type}
                for f in specs
            ],
        }
        for kind, specs in FIELDS.items()
    } | {"_events": EVENT_LABELS}


@router.get("/integrations/settings", response_model=SettingsOut)
async def get_settings(uow: UowDep, actor: CurrentActor, settings: SettingsDep) -> SettingsOut:
    return await integrations.get_settings(uow, actor, smtp_configured=bool(settings.smtp_url))


@router.patch("/integrations/settings", response_model=SettingsOut)
async def update_settings(
    settings_in: SettingsUpdate, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> SettingsOut:
    return await integrations.update_settings(
        uow, actor, settings_in, smtp_configured=bool(settings.smtp_url)
    )


@router.post("/integrations/email/test", response_model=DeliveryOut, status_code=202)
async def test_email(uow: UowDep, actor: CurrentActor, settings: SettingsDep) -> DeliveryOut:
    """Send a test email to yourself through the worker; poll GET /api/v1/deliveries/{id} for the result."""
    return delivery_out(await deliveries.enqueue_test_email(uow, actor), settings, actor)


@router.get("/integrations", response_model=list[IntegrationOut])
async def list_integrations(uow: UowDep, actor: CurrentActor) -> list[IntegrationOut]:
    return [integrations.integration_out(row) for row in await integrations.list_integrations(uow, actor)]


@router.post("/integrations", response_model=IntegrationCreated, status_code=201)
async def create_integration(
    integration_in: IntegrationCreate, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> IntegrationCreated:
    """Secrets (webhook URLs, keys) are stored encrypted and never returned; a generated webhook
    signing secret is in this response only."""
    row, signing_secret = await integrations.create_integration(
        uow, actor, integration_in, secret_key=settings.resolved_secret_key()
    )
    out = integrations.integration_out(row)
    return IntegrationCreated(**out.model_dump(), signing_secret=signing_secret)


@router.get("/integrations/{integration_id}", response_model=IntegrationOut)
async def get_integration(integration_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> IntegrationOut:
    return integrations.integration_out(await integrations.get_integration(uow, actor, integration_id))


@router.patch("/integrations/{integration_id}", response_model=IntegrationOut)
async def update_integration(
    integration_id: uuid.UUID,
    integration_in: IntegrationUpdate,
    uow: UowDep,
    actor: CurrentActor,
    settings: SettingsDep,
) -> IntegrationOut:
    row = await integrations.update_integration(
        uow, actor, integration_id, integration_in, secret_key=settings.resolved_secret_key()
    )
    return integrations.integration_out(row)


@router.delete("/integrations/{integration_id}", status_code=204)
async def delete_integration(integration_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> Response:
    await integrations.delete_integration(uow, actor, integration_id)
    return Response(status_code=204)


@router.post("/integrations/{integration_id}/rotate-secret", response_model=IntegrationCreated)
async def rotate_secret(
    integration_id: uuid.UUID, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> IntegrationCreated:
    """A new signing secret for a webhook, returned this once; the old one stops working at once."""
    row, secret = await integrations.rotate_signing_secret(
        uow, actor, integration_id, secret_key=settings.resolved_secret_key()
    )
    return IntegrationCreated(**integrations.integration_out(row).model_dump(), signing_secret=secret)


@router.post("/integrations/{integration_id}/test", response_model=DeliveryOut, status_code=202)
async def test_integration(
    integration_id: uuid.UUID, test_in: TestIn, uow: UowDep, actor: CurrentActor, settings: SettingsDep
) -> DeliveryOut:
    """A real delivery through the worker, tried once; poll GET /api/v1/deliveries/{id} for the result."""
    row = await integrations.get_integration(uow, actor, integration_id)
    return delivery_out(
        await deliveries.enqueue_test(uow, actor, row, ticket_id=test_in.ticket_id), settings, actor
    )


@router.get("/psa/tickets/{ticket_id}", response_model=TicketOut)
async def lookup_ticket(
    ticket_id: str,
    request: Request,
    actor: DetachedActor,
    settings: SettingsDep,
) -> TicketOut:
    """The PSA ticket's summary, company and priority, to prefill a new session."""
    async with get_db(request).uow(actor.account_id) as uow:
        access = await integrations.psa_access(uow, actor, secret_key=settings.resolved_secret_key())
    return await integrations.lookup_ticket(
        access,
        ticket_id,
        request_seconds=settings.delivery_timeout_seconds,
        allow_hosts=settings.outbound_allow_hosts,
    )
