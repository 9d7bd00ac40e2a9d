"""The two escalations waiting in the queue when the demo starts, made through the real services.

- The Kyocera scan-to-email failure is a problem the team has fixed five times at other clients
  (history.jsonl): the assessment should name those sessions and their fix.
- The Outlook connection failure after a mailbox migration has no look-alike in the history; its last
  step holds the finding (SaRA: modern authentication disabled, EnableADAL=0), so any lead has to come
  from the session's own steps.

Both are escalated with create_handoff, so the queue, the bell, the pickup-SLA reminder and the pending
summary are exactly what a live escalation leaves; the worker makes the assessments on start. Only the
clock is moved back: steps and escalation are stamped minutes ago, as if they had just come in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.live.models import Event
from relaydesk.notifications.models import Notification
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import SessionCreate, StepCreate


@dataclass(frozen=True)
class Waiting:
    escalator: str  # a team.Person key
    problem: str
    category: str
    client: str
    ticket_id: str
    priority: str
    steps: tuple[tuple[str, str | None, str], ...]
    reason: str
    notes: str | None
    minutes_ago: int  # when it was escalated


WAITING = (
    Waiting(
        escalator="tom",
        problem="Scan to email has stopped on the Kyocera in the dispatch office; the panel shows "
        "'Send error 1102' for every address.",
        category="Printing",
        client="Bluebird Logistics",
        ticket_id="48391",
        priority="high",
        steps=(
            (
                "Sent a test scan to dispatch@bluebird.test from the panel",
                "Send error 1102 after ~20 s",
                "failed",
            ),
            (
                "Checked the SMTP settings in Command Center RX",
                "smtp.office365.com, port 587, STARTTLS, scanner@bluebird.test; unchanged since March",
                "info",
            ),
            ("Signed in to OWA as scanner@bluebird.test", "Password accepted, mailbox fine", "info"),
            ("Power-cycled the Kyocera and retried", "Same error 1102", "failed"),
        ),
        reason="Settings look right and the mailbox works; not sure where to look next.",
        notes="Dispatch scan delivery notes to the office all day; they are printing and walking them over.",
        minutes_ago=9,
    ),
    Waiting(
        escalator="jamie",
        problem="Outlook 2016 on the check-in desk PC sits on 'Trying to connect…' since Saturday's mailbox "
        "move; a grey Windows Security box rejects the correct password.",
        category="Email",
        client="Summit Physio",
        ticket_id="48402",
        priority="high",
        steps=(
            (
                "Check-in PC runs Office 2016 (MSI) on Windows 10; the other PCs have Microsoft 365 Apps.",
                None,
                "info",
            ),
            (
                "Restarted Outlook and rebooted the PC",
                "Same: grey Windows Security box, then 'Disconnected'",
                "failed",
            ),
            (
                "Checked the user's sign-in logs in Entra",
                "OWA sign-ins succeed; no sign-in from Outlook on this PC at all",
                "info",
            ),
            (
                "Ran SaRA (Outlook connectivity scenario) on the check-in PC",
                "SaRA reports 'Modern authentication is disabled' in the registry (EnableADAL=0 under "
                "HKCU\\Software\\Microsoft\\Office\\16.0\\Common\\Identity)",
                "info",
            ),
        ),
        reason="Found something in SaRA but not sure it's safe to change on the check-in PC.",
        notes=None,
        minutes_ago=4,
    ),
)


async def escalate_waiting(uow: UnitOfWork, actors: dict[str, Actor], now: datetime) -> list[uuid.UUID]:
    """Open both sessions, log their steps and escalate them to the team; returns the handoff ids."""
    ids = []
    for spec in WAITING:
        actor = actors[spec.escalator]
        escalated_at = now - timedelta(minutes=spec.minutes_ago)
        session = await sessions.create_session(
            uow,
            actor,
            SessionCreate(
                problem_summary=spec.problem,
                category=spec.category,
                client_name=spec.client,
                ticket_id=spec.ticket_id,
                priority=spec.priority,  # type: ignore[arg-type]
            ),
        )
        at = escalated_at - timedelta(minutes=6 * len(spec.steps) + 2)
        session.created_at = at - timedelta(minutes=3)
        for action, result, outcome in spec.steps:
            step = await sessions.add_step(
                uow,
                actor,
                session.id,
                StepCreate(action=action, result=result, outcome=outcome),  # type: ignore[arg-type]
            )
            at += timedelta(minutes=6)
            step.created_at = at
        await uow.flush()  # the snapshot reads the steps with their times
        handoff = await handoffs.create_handoff(
            uow, actor, session.id, HandoffCreate(intent="escalate", reason=spec.reason, notes=spec.notes)
        )
        handoff.created_at = escalated_at
        handoff.snapshot = {**handoff.snapshot, "taken_at": escalated_at.isoformat()}
        session.updated_at = escalated_at
        await uow.flush()
        for table in (Event, Notification):
            await uow.result(
                update(table).where(table.handoff_id == handoff.id).values(created_at=escalated_at)
            )
        ids.append(handoff.id)
    return ids
