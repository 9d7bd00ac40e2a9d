"""The rules of deliveries: what an escalation, a reminder or a resolution sends, and to whom.

Everything here only writes rows in the caller's transaction (invariant 2): a delivery row per
message, a reminder row for the pickup SLA. Nothing leaves the process here; the worker
(`deliveries.jobs`) sends after commit. Callers pass ids and text; this module never imports
the handoffs or sessions services (only the session read rule, `sessions/access.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import messages, sources
from relaydesk.deliveries.email_switch import email_on
from relaydesk.deliveries.models import Delivery, Reminder
from relaydesk.errors import BadInput
from relaydesk.integrations import service as integrations
from relaydesk.integrations.models import PSA_KINDS, Integration
from relaydesk.integrations.schemas import KIND_LABELS
from relaydesk.live.service import append_event
from relaydesk.notifications import service as notifications

WAKE = "deliveries"
WORKING_ROLES = ("engineer", "admin", "owner")
MANAGER_ROLES = ("admin", "owner")
CHANNEL_OF_KIND = {"slack": "slack", "teams": "teams", "webhook": "webhook"} | {
    k: "psa_note" for k in PSA_KINDS
}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outgoing:
    """A delivery to enqueue: one row of `deliveries`, sent later by the worker."""

    channel: str
    event: str
    target: str
    key: str
    payload: dict[str, Any]
    integration_id: uuid.UUID | None = None
    recipient_user_id: uuid.UUID | None = None
    handoff_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    max_attempts: int | None = None


async def enqueue(uow: UnitOfWork, account_id: uuid.UUID, outgoing: list[Outgoing]) -> None:
    """One INSERT for all rows; a key seen before is skipped, so enqueueing twice sends once."""
    if not outgoing:
        return
    now = _now()
    values = [
        {
            "id": uuid.uuid4(),
            "account_id": account_id,
            "channel": d.channel,
            "event": d.event,
            "target": d.target[:320],
            "integration_id": d.integration_id,
            "recipient_user_id": d.recipient_user_id,
            "handoff_id": d.handoff_id,
            "session_id": d.session_id,
            "payload": d.payload,
            "status": "pending",
            "attempts": 0,
            "max_attempts": d.max_attempts,
            "next_attempt_at": now,
            "idempotency_key": d.key,
            "created_at": now,
            "updated_at": now,
        }
        for d in outgoing
    ]
    await uow.result(
        pg_insert(Delivery).values(values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await _wake(uow)


async def wake_delivery_workers(uow: UnitOfWork) -> None:
    """NOTIFY the workers (at commit) that a delivery is due now."""
    await _wake(uow)


async def _wake(uow: UnitOfWork) -> None:
    await wake_workers(uow, WAKE)


def _target(row: Integration, ticket: str | None = None) -> str:
    if row.kind in PSA_KINDS:
        return f"{KIND_LABELS[row.kind]} ticket {ticket}"
    return f"{KIND_LABELS[row.kind]} · {row.name}"


async def email_recipients(
    uow: UnitOfWork, account_id: uuid.UUID, *, ids: list[uuid.UUID] | None = None, roles: tuple[str, ...]
) -> list[User]:
    """Users who get email: live, in `roles`, with email notifications on."""
    query = select(User).where(
        User.account_id == account_id,
        User.deleted_at.is_(None),
        User.role.in_(roles),
        User.email_notifications.is_(True),
    )
    if ids is not None:
        if not ids:
            return []
        query = query.where(User.id.in_(ids))
    return await uow.all(query.order_by(User.email))


async def _channel_outgoing(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    event: str,
    content: dict[str, Any],
    key: str,
    *,
    handoff_id: uuid.UUID | None,
    session_id: uuid.UUID | None,
    psa: bool,
) -> list[Outgoing]:
    outgoing = []
    for row in await integrations.routes_for(uow, account_id, event):
        if row.kind in PSA_KINDS and not (psa and content.get("ticket")):
            continue  # a PSA note needs a ticket; a reminder is not for the ticket
        outgoing.append(
            Outgoing(
                channel=CHANNEL_OF_KIND[row.kind],
                event=event,
                target=_target(row, content.get("ticket")),
                key=f"{key}:{row.kind}:{row.id}",
                payload=content,
                integration_id=row.id,
                handoff_id=handoff_id,
                session_id=session_id,
            )
        )
    return outgoing


# --- escalation ------------------------------------------------------------------------------


async def enqueue_escalation(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    handoff_id: uuid.UUID,
    session_id: uuid.UUID,
    escalator_id: uuid.UUID,
    escalator: str,
    recipient_ids: list[uuid.UUID],
    title: str,
    link: str,
    snapshot: dict[str, Any],
) -> None:
    """An escalation's messages, in its transaction (invariant 2): an email to each recipient who
    has email on, the chat posts, webhooks and PSA note the account routes `escalation` to, and the
    pickup-SLA reminder. `recipient_ids` are the teammates the bell tells (the target only, when
    targeted); the escalator is never among the recipients."""
    content = messages.escalation_content(
        title=title,
        escalator=escalator,
        link=link,
        snapshot=snapshot,
        handoff_id=str(handoff_id),
        session_id=str(session_id),
    )
    account = await integrations.delivery_settings(uow, account_id)
    key = f"escalation:{handoff_id}"
    outgoing: list[Outgoing] = []
    if "escalation" in account.email_events and email_on():
        recipients = await email_recipients(uow, account_id, ids=recipient_ids, roles=WORKING_ROLES)
        outgoing += [
            Outgoing(
                channel="email",
                event="escalation",
                target=user.email,
                key=f"{key}:email:{user.id}",
                payload={**content, "to_name": user.name},
                recipient_user_id=user.id,
                handoff_id=handoff_id,
                session_id=session_id,
            )
            for user in recipients
            if user.id != escalator_id
        ]
    outgoing += await _channel_outgoing(
        uow, account_id, "escalation", content, key, handoff_id=handoff_id, session_id=session_id, psa=True
    )
    await enqueue(uow, account_id, outgoing)
    if account.pickup_sla_minutes > 0:
        await schedule_pickup_reminder(
            uow,
            account_id=account_id,
            handoff_id=handoff_id,
            session_id=session_id,
            escalator_id=escalator_id,
            content=content,
            minutes=account.pickup_sla_minutes,
        )


# --- the pickup SLA --------------------------------------------------------------------------


async def schedule_pickup_reminder(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    handoff_id: uuid.UUID,
    session_id: uuid.UUID,
    escalator_id: uuid.UUID,
    content: dict[str, Any],
    minutes: float,
    level: int = 1,
) -> None:
    """A row due when the SLA runs out; one per escalation and SLA level (the unique key)."""
    await uow.result(
        pg_insert(Reminder)
        .values(
            id=uuid.uuid4(),
            account_id=account_id,
            kind="pickup_sla",
            handoff_id=handoff_id,
            session_id=session_id,
            level=level,
            due_at=_now() + timedelta(minutes=minutes * level),
            status="pending",
            payload={"escalation": content, "escalator_id": str(escalator_id), "minutes": minutes * level},
            idempotency_key=f"sla:{handoff_id}:{level}",
            created_at=_now(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    await _wake(uow)


async def cancel_reminders(uow: UnitOfWork, handoff_id: uuid.UUID, *, state: str) -> None:
    """The escalation was claimed (`taken`) or withdrawn: no more nagging, and the reminder's bell
    items stop asking for action. Called in the claim's or withdrawal's transaction."""
    await uow.result(
        update(Reminder)
        .where(Reminder.handoff_id == handoff_id, Reminder.status == "pending")
        .values(status="cancelled")
    )
    await notifications.set_state_for_handoff(uow, handoff_id, kind="unclaimed", state=state)


async def fire_reminder(uow: UnitOfWork, reminder: Reminder) -> bool:
    """Tell admins and owners an escalation is still unclaimed: a bell item, an email, the chat
    posts. The caller holds the reminder's row lock, so this runs once. False if no longer due."""
    if await sources.handoff_status(uow, reminder.handoff_id) != "open":
        # Claimed or withdrawn without the cancel (or a handoff closed another way): stay quiet.
        reminder.status = "cancelled"
        await uow.flush()
        return False
    payload = reminder.payload
    escalator_id = uuid.UUID(payload["escalator_id"])
    content = messages.unclaimed_content(payload["escalation"], minutes=float(payload["minutes"]))
    account_id = reminder.account_id
    managers = list(
        await uow.all(
            select(User.id).where(
                User.account_id == account_id,
                User.deleted_at.is_(None),
                User.role.in_(MANAGER_ROLES),
                User.id != escalator_id,
            )
        )
    )
    await notifications.notify(
        uow,
        account_id=account_id,
        user_ids=managers,
        kind="unclaimed",
        state="actionable",
        handoff_id=reminder.handoff_id,
        session_id=reminder.session_id,
        link=content["link"],
        title=content["title"],
    )
    account = await integrations.delivery_settings(uow, account_id)
    key = f"unclaimed:{reminder.handoff_id}:{reminder.level}"
    outgoing: list[Outgoing] = []
    if "unclaimed" in account.email_events and email_on():
        outgoing += [
            Outgoing(
                channel="email",
                event="unclaimed",
                target=user.email,
                key=f"{key}:email:{user.id}",
                payload={**content, "to_name": user.name},
                recipient_user_id=user.id,
                handoff_id=reminder.handoff_id,
                session_id=reminder.session_id,
            )
            for user in await email_recipients(uow, account_id, ids=managers, roles=MANAGER_ROLES)
        ]
    outgoing += await _channel_outgoing(
        uow,
        account_id,
        "unclaimed",
        content,
        key,
        handoff_id=reminder.handoff_id,
        session_id=reminder.session_id,
        psa=False,
    )
    await enqueue(uow, account_id, outgoing)
    reminder.status, reminder.fired_at = "fired", _now()
    await append_event(
        uow,
        account_id=account_id,
        type="handoff.unclaimed",
        session_id=reminder.session_id,
        handoff_id=reminder.handoff_id,
        payload={"waited": content["waited"], "level": reminder.level},
    )
    await uow.flush()
    return True


# --- resolution ------------------------------------------------------------------------------


async def enqueue_resolution(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    ticket_id: str | None,
    problem: str,
    resolved_by: str,
    resolution: str,
) -> None:
    """The PSA resolve note (the resolution and the summary's ticket-note prose) and `resolved`
    webhooks, in the resolving transaction."""
    summary = await sources.latest_session_summary(uow, session_id)
    content = messages.resolution_content(
        session_id=str(session_id),
        problem=problem,
        ticket=ticket_id,
        resolved_by=resolved_by,
        resolution=resolution,
        link=f"/sessions/{session_id}",
        prose=summary.ticket_note if summary else None,
    )
    outgoing = await _channel_outgoing(
        uow,
        account_id,
        "resolved",
        content,
        f"resolved:{session_id}",
        handoff_id=None,
        session_id=session_id,
        psa=True,
    )
    await enqueue(uow, account_id, outgoing)


# --- tests from the settings page -------------------------------------------------------------


async def enqueue_test(
    uow: UnitOfWork, actor: Actor, integration: Integration, *, ticket_id: str | None
) -> Delivery:
    """A real delivery through the real worker, tried once, so the settings page can show the result."""
    actor.require("admin", "test integrations")
    ticket = (ticket_id or "").strip() or None
    if integration.kind in PSA_KINDS and not ticket:
        raise BadInput("Give a ticket number: the test adds an internal note to that ticket.")
    content = {**messages.test_content(by=actor.name, target=_target(integration, ticket)), "ticket": ticket}
    return await _test_row(
        uow,
        actor,
        channel=CHANNEL_OF_KIND[integration.kind],
        target=_target(integration, ticket),
        content=content,
        integration_id=integration.id,
    )


async def enqueue_test_email(uow: UnitOfWork, actor: Actor) -> Delivery:
    actor.require("admin", "test integrations")
    content = messages.test_content(by=actor.name, target="email to you")
    return await _test_row(
        uow, actor, channel="email", target=actor.email, content=content, integration_id=None
    )


async def _test_row(
    uow: UnitOfWork,
    actor: Actor,
    *,
    channel: str,
    target: str,
    content: dict[str, Any],
    integration_id: uuid.UUID | None,
) -> Delivery:
    row = Delivery(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        channel=channel,
        event="test",
        target=target[:320],
        integration_id=integration_id,
        recipient_user_id=actor.user_id if channel == "email" else None,
        payload=content,
        status="pending",
        attempts=0,
        max_attempts=1,
        next_attempt_at=_now(),
        idempotency_key=f"test:{uuid.uuid4()}",
    )
    uow.add(row)
    await uow.flush()
    await _wake(uow)
    return row
