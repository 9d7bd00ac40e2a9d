"""Ninety days of a team at work: the escalations behind the history, claimed, released, withdrawn.

Most tickets a senior resolved were escalated to them: the escalator logged the first steps, the
escalation waited in the queue, a senior claimed it and logged the rest. This module turns those
records into sessions with their handoffs and events, stamped as they would have been at the time,
so analytics (time to pickup: created → current claim; time to first action: claim → the claimer's
first step after it) has a real past to measure on first start:

- pickups drift from ~20 min in the first month to ~6 min in the last (the team got used to the
  queue), with a long tail past the 15-minute pickup SLA;
- one escalation in eight is claimed, released (the releaser's note is not the new claimer's first
  action) and claimed again by another senior, as release() leaves it: first_claimed_at kept,
  release_count 1, released_at before the current claim;
- a few junior tickets were escalated, sat unclaimed past the SLA and were withdrawn, then finished
  by the junior.

Events are appended through live.service (per-account seq under its lock, invariant 6) in the order
they happened, then given the times they happened, so seq order is time order.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from relaydesk.db.uow import UnitOfWork
from relaydesk.demo.history import SessionRow, StepRow, insert_resolved
from relaydesk.demo.team import BY_NAME, PEOPLE, Person
from relaydesk.handoffs import first_action
from relaydesk.handoffs.models import Handoff
from relaydesk.live.service import NewEvent, append_events

SLA = timedelta(minutes=15)
SOLO_EVERY = 6  # every sixth senior ticket the senior worked alone, no escalation
WITHDRAWN_EVERY = 6  # every sixth junior ticket was escalated, left unclaimed and withdrawn
RELEASED_EVERY = 8

REASONS = (
    "Out of ideas after the usual checks.",
    "Client is waiting; need a second pair of eyes.",
    "Needs tenant admin rights I don't have.",
    "Firewall side, not my area.",
    "Tried the KB steps, no change.",
    "VIP user, want someone senior on it.",
    "Been on this an hour, going round in circles.",
)
RELEASE_REASONS = (
    "Called out to a P1 at another client; handing it back.",
    "Needs someone with FortiGate admin access.",
    "Going on-site this afternoon, can't finish it remotely.",
)
RELEASE_NOTES = (
    "Had a first look: logs gathered, nothing conclusive yet.",
    "Checked the obvious; notes in the ticket, needs more time than I have.",
)
WITHDRAW_NOTE = "Withdrew the escalation: found it myself while waiting."


@dataclass
class PastHandoff:
    session: SessionRow
    escalator: Person
    reason: str
    created_at: datetime
    snapshot_steps: int  # how many of the session's steps existed at escalation
    claimer: Person | None = None
    claimed_at: datetime | None = None
    first_claimed_at: datetime | None = None
    releaser: Person | None = None
    released_at: datetime | None = None
    release_reason: str | None = None
    withdrawn_at: datetime | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def _minutes(m: float) -> timedelta:
    return timedelta(seconds=round(m * 60))


def _pickup_minutes(rng: random.Random, progress: float) -> float:
    median = 20 - 14 * progress
    return min(max(median * math.exp(rng.gauss(0, 0.75)), 0.7), 180)


def plan(
    records: list[dict[str, Any]], ids: dict[str, uuid.UUID], first_day: datetime
) -> tuple[list[dict[str, Any]], list[PastHandoff]]:
    """Split the history: (records worked alone, for the importer; escalated sessions, built here)."""
    rng = random.Random(90)  # fixed: the demo is the same on every machine
    juniors = [p for p in PEOPLE if p.role == "engineer" and not p.senior]
    seniors = [p for p in PEOPLE if p.senior]
    alone: list[dict[str, Any]] = []
    escalated: list[PastHandoff] = []
    senior_n = junior_n = 0
    for record in records:
        tech = BY_NAME[record["technician"]]
        closed = datetime.fromisoformat(record["closed_at"])
        progress = min(max((closed - first_day) / timedelta(days=90), 0.0), 1.0)
        if tech.senior and len(record["steps"]) >= 2:
            senior_n += 1
            if senior_n % SOLO_EVERY == 0:
                alone.append(record)
                continue
            released = senior_n % RELEASED_EVERY == 3
            escalated.append(_claimed(record, tech, juniors, seniors, ids, closed, progress, released, rng))
        else:
            junior_n += 1
            if not tech.senior and junior_n % WITHDRAWN_EVERY == 2 and len(record["steps"]) >= 3:
                escalated.append(_withdrawn(record, tech, ids, closed, rng))
            else:
                alone.append(record)
    return alone, escalated


# Timelines are laid out from this instant, then moved so the session resolves at its closed_at.
_ZERO = datetime(2000, 1, 3, tzinfo=UTC)


def _session(
    record: dict[str, Any], owner: Person, assignee: Person | None, ids: dict[str, uuid.UUID]
) -> SessionRow:
    return SessionRow(
        problem=record["problem"],
        category=record.get("category"),
        client=record.get("client"),
        ticket_id=record.get("ticket_id"),
        priority=record.get("priority", "normal"),
        owner_id=ids[owner.key],
        assignee_id=ids[assignee.key] if assignee else None,
        created_at=_ZERO,
        resolved_at=_ZERO,
        resolution=record["resolution"],
        steps=[],
    )


def _step(step: dict[str, Any], author: Person, ids: dict[str, uuid.UUID], at: datetime) -> StepRow:
    return StepRow(step["action"], step.get("result"), step.get("outcome", "info"), ids[author.key], at)


def _gap(rng: random.Random) -> timedelta:
    return timedelta(minutes=rng.randint(3, 12), seconds=rng.randrange(60))


def _claimed(
    record: dict[str, Any],
    claimer: Person,
    juniors: list[Person],
    seniors: list[Person],
    ids: dict[str, uuid.UUID],
    closed: datetime,
    progress: float,
    released: bool,
    rng: random.Random,
) -> PastHandoff:
    steps = record["steps"]
    split = len(steps) - (2 if len(steps) >= 4 else 1)  # the claimer logs the last one or two
    escalator = rng.choice(juniors)
    t = _ZERO
    rows: list[StepRow] = []
    for step in steps[:split]:
        t += _gap(rng)
        rows.append(_step(step, escalator, ids, t))
    created = t + timedelta(minutes=rng.randint(1, 4))
    handoff = PastHandoff(
        _session(record, escalator, claimer, ids), escalator, rng.choice(REASONS), created, split
    )
    pickup = _minutes(_pickup_minutes(rng, progress))
    if released:
        releaser = rng.choice([s for s in seniors if s is not claimer])
        first = created + _minutes(_pickup_minutes(rng, progress) * 0.6)
        note = {"action": rng.choice(RELEASE_NOTES)}
        rows.append(_step(note, releaser, ids, first + _minutes(rng.uniform(2, 6))))
        released_at = first + _minutes(rng.uniform(9, 22))
        handoff.releaser, handoff.first_claimed_at, handoff.released_at = releaser, first, released_at
        handoff.release_reason = rng.choice(RELEASE_REASONS)
        claimed_at = released_at + pickup
    else:
        claimed_at = created + pickup
        handoff.first_claimed_at = claimed_at
    handoff.claimer, handoff.claimed_at = claimer, claimed_at
    t = claimed_at + _minutes(min(max(2.5 * math.exp(rng.gauss(0, 0.6)), 0.5), 20))
    for n, step in enumerate(steps[split:]):
        if n:
            t += _gap(rng)
        rows.append(_step(step, claimer, ids, t))
    _place(handoff, rows, t + timedelta(minutes=rng.randint(2, 8)), closed)
    return handoff


def _withdrawn(
    record: dict[str, Any], junior: Person, ids: dict[str, uuid.UUID], closed: datetime, rng: random.Random
) -> PastHandoff:
    steps = record["steps"]
    t = _ZERO
    rows: list[StepRow] = []
    for step in steps[:-1]:
        t += _gap(rng)
        rows.append(_step(step, junior, ids, t))
    created = t + timedelta(minutes=rng.randint(1, 3))
    handoff = PastHandoff(
        _session(record, junior, None, ids), junior, rng.choice(REASONS), created, len(rows)
    )
    withdrawn = created + _minutes(rng.uniform(22, 50))  # unclaimed well past the SLA
    handoff.withdrawn_at = withdrawn
    t = withdrawn + _minutes(rng.uniform(1, 4))
    rows.append(_step({"action": WITHDRAW_NOTE}, junior, ids, t))
    t += _gap(rng)
    rows.append(_step(steps[-1], junior, ids, t))
    _place(handoff, rows, t + timedelta(minutes=rng.randint(2, 6)), closed)
    return handoff


def _place(handoff: PastHandoff, rows: list[StepRow], resolved: datetime, closed: datetime) -> None:
    """Move a timeline laid out from _ZERO so that the session resolves at `closed`."""
    shift = closed - resolved

    def at(value: datetime | None) -> datetime | None:
        return None if value is None else value + shift

    for row in rows:
        row.at += shift
    session = handoff.session
    session.steps = rows
    session.created_at, session.resolved_at = _ZERO + shift, closed
    handoff.created_at += shift
    handoff.claimed_at = at(handoff.claimed_at)
    handoff.first_claimed_at = at(handoff.first_claimed_at)
    handoff.released_at = at(handoff.released_at)
    handoff.withdrawn_at = at(handoff.withdrawn_at)


# --- writing -------------------------------------------------------------------------------------------


def _snapshot(h: PastHandoff, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """What create_handoff would have frozen at the time (handoffs.service._snapshot's shape)."""
    s = h.session
    return {
        "session_id": str(s.id),
        "problem_summary": s.problem,
        "category": s.category,
        "client_name": s.client,
        "ticket_id": s.ticket_id,
        "priority": s.priority,
        "reason": h.reason,
        "notes": None,
        "steps": [
            {
                "id": str(st.id),
                "action": st.action,
                "result": st.result,
                "outcome": st.outcome,
                "is_note": st.outcome == "info" and not st.result,
                "author_id": str(st.author_id),
                "author": names[st.author_id],
                "at": st.at.isoformat(),
            }
            for st in s.steps[: h.snapshot_steps]
        ],
        "taken_at": h.created_at.isoformat(),
    }


def _queue_payload(h: PastHandoff, escalator_id: uuid.UUID) -> dict[str, Any]:
    s = h.session
    return {
        "problem_summary": s.problem,
        "client_name": s.client,
        "ticket_id": s.ticket_id,
        "priority": s.priority,
        "escalator": h.escalator.name,
        "escalator_id": escalator_id,
        "target_user_id": None,
        "reason": h.reason,
        "step_count": h.snapshot_steps,
        "created_at": h.created_at,
        "link": f"/sessions/{s.id}/pickup",
    }


def _claimed_event(who: Person, who_id: uuid.UUID, at: datetime) -> dict[str, Any]:
    payload = {"claimed_by": who.name, "claimed_by_id": who_id, "claimed_at": at, "target_user_id": None}
    return {"type": "handoff.claimed", "actor_id": who_id, "payload": payload}


def _events(h: PastHandoff, ids: dict[str, uuid.UUID]) -> list[tuple[datetime, dict[str, Any]]]:
    """The events the services appended for this handoff, with when: the same types and payloads."""
    base = {"session_id": h.session.id, "handoff_id": h.id}
    escalator_id = ids[h.escalator.key]
    queued = _queue_payload(h, escalator_id)
    out = [(h.created_at, {"type": "handoff.created", "actor_id": escalator_id, "payload": queued})]
    if h.releaser is not None and h.first_claimed_at and h.released_at:
        rid = ids[h.releaser.key]
        released = {"released_by": h.releaser.name, "release_reason": h.release_reason, "release_count": 1}
        out.append((h.first_claimed_at, _claimed_event(h.releaser, rid, h.first_claimed_at)))
        out.append(
            (h.released_at, {"type": "handoff.released", "actor_id": rid, "payload": queued | released})
        )
    if h.claimer is not None and h.claimed_at:
        out.append((h.claimed_at, _claimed_event(h.claimer, ids[h.claimer.key], h.claimed_at)))
    if h.withdrawn_at:
        withdrawn = {"by": h.escalator.name, "target_user_id": None}
        out.append(
            (h.withdrawn_at, {"type": "handoff.withdrawn", "actor_id": escalator_id, "payload": withdrawn})
        )
    return [(at, base | event) for at, event in out]


async def insert_activity(
    uow: UnitOfWork, account_id: uuid.UUID, handoffs: list[PastHandoff], ids: dict[str, uuid.UUID]
) -> None:
    """The escalated sessions (resolved), their handoffs and their events, batched."""
    names = {ids[p.key]: p.name for p in PEOPLE}
    await insert_resolved(uow, account_id, [h.session for h in handoffs])
    await uow.result(
        insert(Handoff),
        [
            {
                "id": h.id,
                "account_id": account_id,
                "session_id": h.session.id,
                "intent": "escalate",
                "status": "withdrawn" if h.withdrawn_at else "claimed",
                "created_by_id": ids[h.escalator.key],
                "target_user_id": None,
                "reason": h.reason,
                "notes": None,
                "snapshot": _snapshot(h, names),
                "claimed_by_id": ids[h.claimer.key] if h.claimer else None,
                "claimed_at": h.claimed_at,
                "first_claimed_at": h.first_claimed_at,
                "released_by_id": ids[h.releaser.key] if h.releaser else None,
                "released_at": h.released_at,
                "release_count": 1 if h.releaser else 0,
                "release_reason": h.release_reason,
                "closed_at": h.withdrawn_at,
                # Past escalations had their summary made at the time; none is kept for the demo.
                "summary_state": "ready",
                "summary": None,
                "created_at": h.created_at,
                "updated_at": h.session.resolved_at,
            }
            for h in handoffs
        ],
    )
    await first_action.stamp_from_steps(uow, account_id)  # bulk rows: no step hook stamped them
    timeline = sorted((e for h in handoffs for e in _events(h, ids)), key=lambda e: e[0])
    events = await append_events(uow, account_id=account_id, events=[NewEvent(**d) for _, d in timeline])
    await uow.result(
        text("UPDATE events SET created_at = :at WHERE id = :eid"),
        [{"eid": e.id, "at": at} for e, (at, _) in zip(events, timeline, strict=True)],
    )
