"""The rules of integration settings. Admins and owners manage them; secrets are sealed on the way in
and only masked hints come out (invariant 7)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries.webhook import generate_secret, sign
from relaydesk.errors import BadInput, Conflict, NotFound, RelaydeskError
from relaydesk.integrations.crypto import hint, seal, unseal
from relaydesk.integrations.models import (
    DEFAULT_PICKUP_SLA_MINUTES,
    PSA_KINDS,
    Integration,
    IntegrationSettings,
)
from relaydesk.integrations.schemas import (
    EMAIL_EVENTS,
    FIELDS,
    KIND_EVENTS,
    KIND_LABELS,
    IntegrationCreate,
    IntegrationOut,
    IntegrationUpdate,
    SettingsOut,
    SettingsUpdate,
    TicketOut,
    check_field,
)
from relaydesk.outbound import outbound_client
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.base import (
    AutotaskConfig,
    ConnectWiseConfig,
    HaloPsaConfig,
    PsaConfig,
    TicketInfo,
)
from relaydesk.psa.clients import make_psa_client


def _manage(actor: Actor) -> None:
    actor.require("admin", "manage integrations")


# --- account-wide settings ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountDeliverySettings:
    pickup_sla_minutes: float
    email_events: tuple[str, ...]


async def delivery_settings(uow: UnitOfWork, account_id: uuid.UUID) -> AccountDeliverySettings:
    row = await uow.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))
    if row is None:
        return AccountDeliverySettings(DEFAULT_PICKUP_SLA_MINUTES, EMAIL_EVENTS)
    return AccountDeliverySettings(row.pickup_sla_minutes, tuple(row.email_events))


async def get_settings(uow: UnitOfWork, actor: Actor, *, smtp_configured: bool) -> SettingsOut:
    _manage(actor)
    current = await delivery_settings(uow, actor.account_id)
    return SettingsOut(
        pickup_sla_minutes=current.pickup_sla_minutes,
        email_events=list(current.email_events),  # type: ignore[arg-type]
        smtp_configured=smtp_configured,
    )


async def update_settings(
    uow: UnitOfWork, actor: Actor, settings_in: SettingsUpdate, *, smtp_configured: bool
) -> SettingsOut:
    _manage(actor)
    row = await uow.scalar(
        select(IntegrationSettings)
        .where(IntegrationSettings.account_id == actor.account_id)
        .with_for_update()
    )
    if row is None:
        row = IntegrationSettings(
            account_id=actor.account_id,
            pickup_sla_minutes=DEFAULT_PICKUP_SLA_MINUTES,
            email_events=list(EMAIL_EVENTS),
        )
        uow.add(row)
    if settings_in.pickup_sla_minutes is not None:
        row.pickup_sla_minutes = float(settings_in.pickup_sla_minutes)
    if settings_in.email_events is not None:
        row.email_events = _events("email", settings_in.email_events, EMAIL_EVENTS)
    await uow.flush()
    return await get_settings(uow, actor, smtp_configured=smtp_configured)


# --- integrations ------------------------------------------------------------------------------


def _events(kind: str, events: Sequence[str], allowed: tuple[str, ...]) -> list[str]:
    wrong = [e for e in events if e not in allowed]
    if wrong:
        label = KIND_LABELS.get(kind, kind)
        raise BadInput(f"{label} cannot carry {', '.join(wrong)}; it can carry {', '.join(allowed)}.")
    return list(dict.fromkeys(events))


def _clean(kind: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a kind's fields; returns (shown settings, secrets)."""
    specs = FIELDS[kind]
    unknown = set(values) - {spec.name for spec in specs}
    if unknown:
        raise BadInput(f"{KIND_LABELS[kind]} has no setting {', '.join(sorted(unknown))}.")
    shown: dict[str, Any] = {}
    secret: dict[str, str] = {}
    for spec in specs:
        try:
            value = check_field(spec, values.get(spec.name))
        except ValueError as exc:
            raise BadInput(f"{exc}.") from None
        if spec.secret:
            if value is not None:
                secret[spec.name] = str(value)
        else:
            shown[spec.name] = value
    if kind == "webhook" and "signing_secret" in secret:
        try:
            sign(secret["signing_secret"], "check", 0, b"")
        except ValueError as exc:
            raise BadInput(f"Signing secret: {exc}.") from None
    return shown, secret


def _sealed(secret_key: str, shown: dict[str, Any], secret: dict[str, str]) -> tuple[dict[str, Any], str]:
    config = {**shown, "hints": {name: hint(value) for name, value in secret.items()}}
    return config, seal(secret_key, secret)


def integration_out(row: Integration) -> IntegrationOut:
    config = dict(row.config)
    hints = config.pop("hints", {})
    return IntegrationOut(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        name=row.name,
        events=row.events,  # type: ignore[arg-type]
        enabled=row.enabled,
        settings=config,
        secrets=hints,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_integrations(uow: UnitOfWork, actor: Actor) -> list[Integration]:
    _manage(actor)
    rows = await uow.all(
        select(Integration)
        .where(Integration.account_id == actor.account_id)
        .order_by(Integration.created_at, Integration.id)
    )
    return list(rows)


async def get_integration(
    uow: UnitOfWork, actor: Actor, integration_id: uuid.UUID, *, for_update: bool = False
) -> Integration:
    _manage(actor)
    query = select(Integration).where(
        Integration.id == integration_id, Integration.account_id == actor.account_id
    )
    if for_update:
        query = query.with_for_update()
    row = await uow.scalar(query)
    if row is None:
        raise NotFound("No such integration.")
    return row


async def create_integration(
    uow: UnitOfWork, actor: Actor, integration_in: IntegrationCreate, *, secret_key: str
) -> tuple[Integration, str | None]:
    """The new integration and, for a webhook whose secret we generated, that secret (shown once)."""
    _manage(actor)
    kind = integration_in.kind
    values = dict(integration_in.settings)
    generated = None
    if kind == "webhook" and not values.get("signing_secret"):
        generated = values["signing_secret"] = generate_secret()
    shown, secret = _clean(kind, values)
    config, sealed = _sealed(secret_key, shown, secret)
    events = integration_in.events if integration_in.events is not None else list(KIND_EVENTS[kind])
    row = Integration(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        kind=kind,
        name=integration_in.name,
        events=_events(kind, list(events), KIND_EVENTS[kind]),
        enabled=integration_in.enabled,
        config=config,
        secrets=sealed,
        created_by_id=actor.user_id,
    )
    try:
        async with uow.attempt():
            uow.add(row)
            await uow.flush()
    except IntegrityError:
        raise Conflict("This account already has a PSA connected; remove it before adding another.") from None
    return row, generated


async def update_integration(
    uow: UnitOfWork,
    actor: Actor,
    integration_id: uuid.UUID,
    integration_in: IntegrationUpdate,
    *,
    secret_key: str,
) -> Integration:
    row = await get_integration(uow, actor, integration_id, for_update=True)
    if integration_in.name is not None:
        if not integration_in.name.strip():
            raise BadInput("name cannot be empty.")
        row.name = integration_in.name.strip()
    if integration_in.events is not None:
        row.events = _events(row.kind, list(integration_in.events), KIND_EVENTS[row.kind])
    if integration_in.enabled is not None:
        row.enabled = integration_in.enabled
    if integration_in.settings:
        current = {k: v for k, v in row.config.items() if k != "hints"}
        try:
            current.update(unseal(secret_key, row.secrets))
        except ValueError:
            pass  # unreadable old secrets: the update must then supply them all again
        for name, value in integration_in.settings.items():
            secret_field = any(s.name == name and s.secret for s in FIELDS[row.kind])
            # An empty secret in a form means "keep the stored one": it is never shown to edit.
            if secret_field and (value is None or str(value).strip() == ""):
                continue
            current[name] = value
        shown, secret = _clean(row.kind, current)
        row.config, row.secrets = _sealed(secret_key, shown, secret)
    await uow.flush()
    return row


async def delete_integration(uow: UnitOfWork, actor: Actor, integration_id: uuid.UUID) -> None:
    row = await get_integration(uow, actor, integration_id, for_update=True)
    await uow.result(delete(Integration).where(Integration.id == row.id))


async def rotate_signing_secret(
    uow: UnitOfWork, actor: Actor, integration_id: uuid.UUID, *, secret_key: str
) -> tuple[Integration, str]:
    row = await get_integration(uow, actor, integration_id, for_update=True)
    if row.kind != "webhook":
        raise BadInput("Only signed webhooks have a signing secret.")
    secret = unseal(secret_key, row.secrets)
    secret["signing_secret"] = generate_secret()
    shown = {k: v for k, v in row.config.items() if k != "hints"}
    row.config, row.secrets = _sealed(secret_key, shown, secret)
    await uow.flush()
    return row, secret["signing_secret"]


# --- reading for the worker and the ticket lookup ------------------------------------------------


async def routes_for(uow: UnitOfWork, account_id: uuid.UUID, event: str) -> list[Integration]:
    """The account's enabled integrations that carry `event`."""
    rows = await uow.all(
        select(Integration)
        .where(Integration.account_id == account_id, Integration.enabled.is_(True))
        .order_by(Integration.created_at, Integration.id)
    )
    return [row for row in rows if event in row.events]


def open_secrets(secret_key: str, row: Integration) -> dict[str, str]:
    """The decrypted credentials; raises crypto.SecretsUnreadable (a ValueError) if the key changed."""
    return unseal(secret_key, row.secrets)


def psa_config(kind: str, config: dict[str, Any], secrets: dict[str, str]) -> PsaConfig:
    """The PSA client's settings from an integration's shown settings and its opened secrets."""
    if kind == "connectwise":
        return ConnectWiseConfig(
            site=config["site"],
            company_id=config["company_id"],
            codebase=config.get("codebase") or "v4_6_release",
            public_key=secrets["public_key"],
            private_key=secrets["private_key"],
            client_id=secrets["client_id"],
        )
    if kind == "autotask":
        # Left out unless set, so the dataclass default applies: on a slots dataclass the class
        # attribute `AutotaskConfig.zone_lookup_url` is a member descriptor, not the default.
        lookup = {"zone_lookup_url": config["zone_lookup_url"]} if config.get("zone_lookup_url") else {}
        return AutotaskConfig(
            username=config["username"],
            secret=secrets["secret"],
            integration_code=secrets["integration_code"],
            note_type=int(config.get("note_type") or 1),
            publish_internal=int(config.get("publish_internal") or 2),
            **lookup,
        )
    if kind == "halopsa":
        base = HaloPsaConfig.for_instance(
            config["base_url"], config["client_id"], secrets["client_secret"], tenant=config.get("tenant")
        )
        outcome = config.get("internal_outcome") or base.internal_outcome
        return HaloPsaConfig(
            base.auth_url, base.api_url, base.client_id, base.client_secret, base.tenant, outcome
        )
    raise ValueError(f"{kind} is not a PSA")


async def account_psa(uow: UnitOfWork, account_id: uuid.UUID) -> Integration | None:
    return await uow.scalar(
        select(Integration).where(
            Integration.account_id == account_id,
            Integration.kind.in_(PSA_KINDS),
            Integration.enabled.is_(True),
        )
    )


@dataclass(frozen=True, slots=True)
class PsaAccess:
    kind: str
    config: PsaConfig
    full_errors: bool = False  # admins and owners read why a lookup failed; engineers a generic line


class PsaUnavailable(RelaydeskError):
    status_code = 502
    title = "PSA unavailable"


async def psa_access(uow: UnitOfWork, actor: Actor, *, secret_key: str) -> PsaAccess:
    """What a ticket lookup needs, read inside a transaction so the lookup itself can run outside one."""
    actor.require("engineer", "look up PSA tickets")
    row = await account_psa(uow, actor.account_id)
    if row is None:
        raise NotFound(
            "No PSA is connected to this account; an admin can add one in Settings → Integrations."
        )
    try:
        config = psa_config(row.kind, row.config, open_secrets(secret_key, row))
        return PsaAccess(row.kind, config, full_errors=actor.is_manager)
    except (ValueError, KeyError) as exc:
        raise PsaUnavailable(f"The PSA settings are incomplete or unreadable: {exc}") from None


_PRIORITY_WORDS = (
    ("urgent", "urgent"),
    ("critical", "urgent"),
    ("emergency", "urgent"),
    ("high", "high"),
    ("medium", "normal"),
    ("normal", "normal"),
    ("low", "low"),
)


def _suggested_priority(label: str | None) -> str | None:
    lowered = (label or "").lower()
    return next((ours for word, ours in _PRIORITY_WORDS if word in lowered), None)


def _plain(details: str | None) -> str | None:
    """Ticket details can be HTML (Halo); the session form wants text."""
    if not details:
        return None
    text = html.unescape(re.sub(r"<br\s*/?>|</p>", "\n", details, flags=re.I))
    return re.sub(r"<[^>]+>", "", text).strip() or None


async def lookup_ticket(
    access: PsaAccess, ticket_id: str, *, request_seconds: float, allow_hosts: str
) -> TicketOut:
    """Read a ticket from the PSA to prefill a session. Network I/O: call it outside a transaction.
    The client is the guarded one (invariant 9): a PSA site pointed at an internal address is
    refused, so the lookup cannot read internal pages back."""
    async with outbound_client(allow_hosts, timeout=request_seconds) as http:
        client = make_psa_client(access.kind, access.config, client=http)
        try:
            ticket: TicketInfo | None = await client.get_ticket(ticket_id)
        except DeliveryFailed as exc:
            if access.full_errors:
                raise PsaUnavailable(f"The PSA lookup failed: {exc.message}") from None
            raise PsaUnavailable(
                "The PSA lookup failed; an admin or owner can try it to see why, or check the PSA "
                "integration in Settings → Integrations."
            ) from None
    if ticket is None:
        raise NotFound(f"{KIND_LABELS[access.kind]} has no ticket {ticket_id[:40]}.")
    return TicketOut(
        ticket_id=ticket.ticket_id,
        summary=ticket.summary,
        company=ticket.company,
        priority=ticket.priority,
        suggested_priority=_suggested_priority(ticket.priority),  # type: ignore[arg-type]
        details=_plain(ticket.details),
        psa=KIND_LABELS[access.kind],
    )
