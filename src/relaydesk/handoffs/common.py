"""What the handoff services share: who hears of an escalation, loading one, the words for a refusal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import NotFound
from relaydesk.handoffs import policy
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.policy import WORKING_ROLES
from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.sessions.models import Session

TITLE_PROBLEM_CHARS = 70


def now() -> datetime:
    return datetime.now(UTC)


def pickup_link(session_id: uuid.UUID) -> str:
    return f"/sessions/{session_id}/pickup"


def escalation_title(escalator: str, ticket_id: str | None, problem: str) -> str:
    """`Escalation from Jane Doe · #12345: Outlook is failing to sync email…`"""
    problem = " ".join(problem.split())
    if len(problem) > TITLE_PROBLEM_CHARS:
        problem = problem[:TITLE_PROBLEM_CHARS].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    ticket = f" · #{ticket_id.lstrip('#')}" if ticket_id else ""
    return f"Escalation from {escalator}{ticket}: {problem}"


async def teammates(
    uow: UnitOfWork, account_id: uuid.UUID, *, exclude: set[uuid.UUID], target: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Who hears of an escalation: engineers, admins and owners, not viewers, not removed users,
    not those excluded (the escalator); only the target when there is one."""
    query = select(User.id).where(
        User.account_id == account_id,
        User.deleted_at.is_(None),
        User.role.in_(WORKING_ROLES),
        User.id.not_in(exclude),
    )
    if target is not None:
        query = query.where(User.id == target)
    return await uow.all(query)


def queue_payload(handoff: Handoff, session: Session, escalator: str) -> dict[str, Any]:
    """What a queue row needs, so live pages render it without another request."""
    return {
        "problem_summary": session.problem_summary,
        "client_name": session.client_name,
        "ticket_id": session.ticket_id,
        "priority": session.priority,
        "escalator": escalator,
        "escalator_id": handoff.created_by_id,
        "target_user_id": handoff.target_user_id,
        "reason": handoff.reason,
        "step_count": len(HandoffSnapshot.read(handoff.snapshot).steps),
        "created_at": handoff.created_at,
        "link": pickup_link(session.id),
    }


async def load(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, *, for_update: bool = False) -> Handoff:
    query = select(Handoff).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    if for_update:
        query = query.with_for_update()
    handoff = await uow.scalar(query)
    if handoff is None or not policy.may_read(actor, handoff):
        raise NotFound("No such handoff, or it is not visible to you.")
    return handoff


async def claim_facts(uow: UnitOfWork, handoff: Handoff) -> dict[str, Any]:
    if handoff.claimed_by_id is None:
        return {}
    name = await uow.scalar(select(User.name).where(User.id == handoff.claimed_by_id))
    return {
        "claimed_by": name,
        "claimed_by_id": str(handoff.claimed_by_id),
        "claimed_at": handoff.claimed_at.isoformat() if handoff.claimed_at else None,
    }


async def not_open_message(uow: UnitOfWork, handoff: Handoff) -> str:
    if handoff.status == "claimed":
        facts = await claim_facts(uow, handoff)
        return f"{facts['claimed_by']} picked this up at {handoff.claimed_at:%H:%M:%S UTC}."
    return {
        "withdrawn": "The engineer withdrew this escalation.",
        "closed": "This escalation is closed.",
    }.get(handoff.status, f"This handoff is {handoff.status}.")
