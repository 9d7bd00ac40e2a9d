"""The Settings → Integrations screen: channels, PSA, routing, pickup SLA, and "send test"."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import reading
from relaydesk.deliveries import service as deliveries
from relaydesk.errors import RelaydeskError
from relaydesk.imports import jobs as imports
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import (
    EMAIL_EVENTS,
    EVENT_LABELS,
    FIELDS,
    KIND_EVENTS,
    KIND_LABELS,
    IntegrationCreate,
    IntegrationUpdate,
    SettingsUpdate,
)
from relaydesk.settings import Settings
from relaydesk.web import flash
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import SettingsDep, UowDep
from relaydesk.web.problems import validation_message
from relaydesk.web.templating import render

router = APIRouter()
PAGE = "/settings/integrations"


async def _page(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
    revealed: dict[str, str] | None = None,
    test_id: uuid.UUID | None = None,
) -> Response:
    rows = await integrations.list_integrations(uow, actor)
    test = None
    if test_id is not None:
        try:
            test = await reading.get_delivery(uow, actor, test_id)
        except RelaydeskError:
            test = None
    return render(
        request,
        "integrations/settings.html",
        status_code=status_code,
        integrations=[(row, integrations.integration_out(row)) for row in rows],
        account=await integrations.get_settings(uow, actor, smtp_configured=bool(settings.smtp_url)),
        fields=FIELDS,
        kind_labels=KIND_LABELS,
        kind_events=KIND_EVENTS,
        event_labels=EVENT_LABELS,
        email_events=EMAIL_EVENTS,
        has_psa=any(row.kind in ("connectwise", "autotask", "halopsa") for row in rows),
        psa_import=await imports.import_state(uow, actor) if actor.is_manager else None,
        error=error,
        notice=notice,
        revealed=revealed,
        test=test,
    )


@router.get(PAGE)
async def page(
    request: Request,
    uow: UowDep,
    actor: PageActor,
    settings: SettingsDep,
    notice: str | None = None,
    test: uuid.UUID | None = None,
) -> Response:
    revealed = await flash.take(uow, actor, settings.resolved_secret_key())
    return await _page(request, uow, actor, settings, notice=notice, test_id=test, revealed=revealed)


def _back(notice: str) -> Response:
    """Post/redirect/get: a reload of the page shown next cannot send the form again."""
    return RedirectResponse(f"{PAGE}?" + urlencode({"notice": notice}), status_code=303)


def _fields(form: Any, kind: str) -> dict[str, Any]:
    return {spec.name: form.get(f"f_{spec.name}", "") for spec in FIELDS.get(kind, ())}


@router.post(f"{PAGE}/account")
async def save_account(request: Request, uow: UowDep, actor: FormActor, settings: SettingsDep) -> Response:
    form = await request.form()
    try:
        settings_in = SettingsUpdate.model_validate(
            {
                "pickup_sla_minutes": form.get("pickup_sla_minutes") or 0,
                "email_events": form.getlist("email_events"),
            }
        )
        async with uow.attempt():
            await integrations.update_settings(
                uow, actor, settings_in, smtp_configured=bool(settings.smtp_url)
            )
    except ValidationError as exc:
        return await _page(request, uow, actor, settings, status_code=422, error=validation_message(exc))
    except RelaydeskError as exc:
        return await _page(request, uow, actor, settings, status_code=exc.status_code, error=exc.detail)
    return _back("Saved.")


@router.post(f"{PAGE}/new")
async def create(request: Request, uow: UowDep, actor: FormActor, settings: SettingsDep) -> Response:
    form = await request.form()
    kind = str(form.get("kind", ""))
    try:
        integration_in = IntegrationCreate.model_validate(
            {
                "kind": kind,
                "name": form.get("name", ""),
                "events": form.getlist("events"),
                "settings": _fields(form, kind),
            }
        )
        async with uow.attempt():
            row, secret = await integrations.create_integration(
                uow, actor, integration_in, secret_key=settings.resolved_secret_key()
            )
    except ValidationError as exc:
        return await _page(request, uow, actor, settings, status_code=422, error=validation_message(exc))
    except RelaydeskError as exc:
        return await _page(request, uow, actor, settings, status_code=exc.status_code, error=exc.detail)
    if secret:
        # Shown once, on the page this redirects to: it is stored encrypted and never displayed again.
        await flash.keep(uow, actor, settings.resolved_secret_key(), {"id": str(row.id), "secret": secret})
    return _back(f"Added {row.name}.")


@router.post(f"{PAGE}/email/test")
async def test_email(uow: UowDep, actor: FormActor) -> Response:
    delivery = await deliveries.enqueue_test_email(uow, actor)
    return RedirectResponse(f"{PAGE}?test={delivery.id}#test-result", status_code=303)


@router.post(f"{PAGE}/psa-import")
async def start_psa_import(
    request: Request, uow: UowDep, actor: FormActor, settings: SettingsDep
) -> Response:
    """Ask the worker for the PSA import (durable, not done in this request); the page follows it live."""
    form = await request.form()
    try:
        months = int(str(form.get("months") or imports.DEFAULT_MONTHS))
        async with uow.attempt():
            _, started = await imports.request_psa_import(uow, actor, months)
    except ValueError:
        return await _page(request, uow, actor, settings, status_code=422, error="Months must be a number.")
    except RelaydeskError as exc:
        return await _page(request, uow, actor, settings, status_code=exc.status_code, error=exc.detail)
    return _back("Import started." if started else "An import is already running; it continues below.")


@router.post(f"{PAGE}/{{integration_id}}")
async def update(
    request: Request, integration_id: uuid.UUID, uow: UowDep, actor: FormActor, settings: SettingsDep
) -> Response:
    form = await request.form()
    row = await integrations.get_integration(uow, actor, integration_id)
    try:
        integration_in = IntegrationUpdate.model_validate(
            {
                "name": form.get("name") or None,
                "events": form.getlist("events"),
                "enabled": form.get("enabled") == "on",
                "settings": _fields(form, row.kind),
            }
        )
        async with uow.attempt():
            await integrations.update_integration(
                uow, actor, integration_id, integration_in, secret_key=settings.resolved_secret_key()
            )
    except ValidationError as exc:
        return await _page(request, uow, actor, settings, status_code=422, error=validation_message(exc))
    except RelaydeskError as exc:
        return await _page(request, uow, actor, settings, status_code=exc.status_code, error=exc.detail)
    return _back(f"Saved {row.name}.")


@router.post(f"{PAGE}/{{integration_id}}/delete")
async def remove(integration_id: uuid.UUID, uow: UowDep, actor: FormActor) -> Response:
    await integrations.delete_integration(uow, actor, integration_id)
    return _back("Removed.")


@router.post(f"{PAGE}/{{integration_id}}/rotate")
async def rotate(
    request: Request, integration_id: uuid.UUID, uow: UowDep, actor: FormActor, settings: SettingsDep
) -> Response:
    row, secret = await integrations.rotate_signing_secret(
        uow, actor, integration_id, secret_key=settings.resolved_secret_key()
    )
    await flash.keep(uow, actor, settings.resolved_secret_key(), {"id": str(row.id), "secret": secret})
    return _back("New signing secret made; the old one no longer verifies.")


@router.post(f"{PAGE}/{{integration_id}}/test")
async def test(
    request: Request, integration_id: uuid.UUID, uow: UowDep, actor: FormActor, settings: SettingsDep
) -> Response:
    form = await request.form()
    row = await integrations.get_integration(uow, actor, integration_id)
    try:
        async with uow.attempt():
            delivery = await deliveries.enqueue_test(
                uow, actor, row, ticket_id=str(form.get("ticket_id", ""))
            )
    except RelaydeskError as exc:
        return await _page(request, uow, actor, settings, status_code=exc.status_code, error=exc.detail)
    return RedirectResponse(f"{PAGE}?test={delivery.id}#test-result", status_code=303)
