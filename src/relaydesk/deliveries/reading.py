"""Reading deliveries and sending one again: who may see which rows and how much of their errors.

The read rule is the session's (sessions/access.py): a delivery's recipients and status tell about
its session. Writing deliveries is deliveries/service.py's job.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries import sources
from relaydesk.deliveries.models import Delivery
from relaydesk.deliveries.service import wake_delivery_workers
from relaydesk.errors import Conflict, NotFound
from relaydesk.sessions.access import visible_to
from relaydesk.sessions.models import Session


def _readable(actor: Actor) -> ColumnElement[bool]:
    """A delivery is read under its session's read rule (sessions/access.py): its recipients and
    status tell about the session. One with no session (a test send) is for admins and owners."""
    rule = Delivery.account_id == actor.account_id
    if actor.is_manager:
        return rule
    readable = select(Session.id).where(visible_to(actor))
    return and_(rule, Delivery.session_id.is_not(None), Delivery.session_id.in_(readable))


# What engineers read instead of a failure's text: only admins see integration errors in full
# (the text names hosts, vendor codes and excerpts of what a remote server said).
HIDDEN_ERROR = "Sending failed; an admin or owner can see why on this delivery."


def shown_error(actor: Actor, row: Delivery) -> str | None:
    """The delivery's last error as this actor may see it."""
    if row.last_error is None or actor.is_manager:
        return row.last_error
    return HIDDEN_ERROR


async def list_deliveries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    handoff_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[Delivery]:
    """An escalation's or a session's deliveries, oldest first. Engineers and up, for the sessions
    they may read: it is how the team sees whether the seniors and the PSA heard; the rows carry
    no message text."""
    actor.require("engineer", "see deliveries")
    if not await sources.exists(uow, handoff_id=handoff_id, session_id=session_id):
        raise NotFound("No such handoff or session.")
    if session_id is not None and not actor.is_manager:
        if await uow.scalar(select(Session.id).where(Session.id == session_id, visible_to(actor))) is None:
            raise NotFound("No such handoff or session.")
    query = select(Delivery).where(_readable(actor))
    if handoff_id is not None:
        query = query.where(Delivery.handoff_id == handoff_id)
    if session_id is not None:
        query = query.where(Delivery.session_id == session_id)
    if handoff_id is None and session_id is None:
        query = query.order_by(Delivery.created_at.desc(), Delivery.id).limit(limit)
        return list(reversed(await uow.all(query)))
    query = query.order_by(Delivery.created_at, Delivery.channel, Delivery.target).limit(limit)
    return await uow.all(query)


async def get_delivery(
    uow: UnitOfWork, actor: Actor, delivery_id: uuid.UUID, *, for_update: bool = False
) -> Delivery:
    actor.require("engineer", "see deliveries")
    query = select(Delivery).where(Delivery.id == delivery_id, _readable(actor))
    if for_update:
        query = query.with_for_update()
    row = await uow.scalar(query)
    if row is None:
        raise NotFound("No such delivery.")
    return row


async def retry_now(
    uow: UnitOfWork, actor: Actor, delivery_id: uuid.UUID, *, extra_attempts: int
) -> Delivery:
    """Send a failed or dead delivery again now; a dead one gets `extra_attempts` more tries."""
    actor.require("admin", "retry deliveries")
    row = await get_delivery(uow, actor, delivery_id, for_update=True)
    if row.status not in ("failed", "dead"):
        raise Conflict(f"Only failed or dead deliveries can be retried; this one is {row.status}.")
    if row.status == "dead":
        row.max_attempts = row.attempts + extra_attempts
    now = datetime.now(UTC)
    row.status, row.next_attempt_at, row.updated_at = "pending", now, now
    await uow.flush()
    await wake_delivery_workers(uow)
    return row
