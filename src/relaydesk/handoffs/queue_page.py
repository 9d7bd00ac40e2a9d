"""The queue page: triage order, the pickup SLA on every row, whose (team / sent to me / mine),
client and priority filters in the URL, and each row as a fragment for live arrivals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, NotFound
from relaydesk.handoffs import policy, triage
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.reading import PRIORITY_RANK
from relaydesk.integrations.service import delivery_settings
from relaydesk.web.auth import PageActor
from relaydesk.web.deps import UowDep
from relaydesk.web.templating import render

router = APIRouter()

SUMMARY_STATES = {
    "pending": "assessment being prepared",
    "draft": "draft assessment",
    "ready": "assessment ready",
}
VIEWS = {"team": "Team", "targeted": "Sent to me", "mine": "Mine (picked up by me)"}
MAX_CLIENT_CHARS = 200


@dataclass(frozen=True)
class QueueQuery:
    """The queue's URL: `view`, `client`, `priority` (all optional)."""

    view: str = "team"
    client: str = ""
    priority: str = ""

    @classmethod
    def parse(cls, request: Request, actor: Actor) -> QueueQuery:
        q = request.query_params
        view = (q.get("view") or "team").strip()
        priority = (q.get("priority") or "").strip()
        client = (q.get("client") or "").strip()
        if view not in VIEWS or (view != "team" and not policy.may_write(actor)):
            raise BadInput(f"Unknown queue view {view!r}; use team, targeted or mine.")
        if priority and priority not in PRIORITY_RANK:
            raise BadInput(f"Unknown priority {priority!r}; use urgent, high, normal or low.")
        if len(client) > MAX_CLIENT_CHARS:
            raise BadInput(f"A client name is at most {MAX_CLIENT_CHARS} characters.")
        return cls(view=view, client=client, priority=priority)

    def params(self, **changes: str) -> str:
        """This query with `changes`, as a query string without the defaults."""
        values = replace(self, **changes)
        pairs = {"view": values.view if values.view != "team" else "", "client": values.client}
        pairs["priority"] = values.priority
        return urlencode({k: v for k, v in pairs.items() if v})


async def _rows(
    uow: UnitOfWork, actor: Actor, query: QueueQuery, *, only: uuid.UUID | None = None
) -> tuple[list[triage.QueueRow], float]:
    mine = query.view == "mine"
    items = await handoffs.queue(
        uow,
        actor,
        status="claimed" if mine else "open",
        priority=query.priority or None,
        target="me" if query.view == "targeted" else None,
        client=query.client or None,
        mine=mine,
        only=only,
        triage=True,
    )
    # the same setting the pickup reminders are scheduled by
    minutes = (await delivery_settings(uow, actor.account_id)).pickup_sla_minutes
    return triage.rows(items, minutes, datetime.now(UTC)), minutes


@router.get("/queue")
async def queue(request: Request, uow: UowDep, actor: PageActor) -> Response:
    query = QueueQuery.parse(request, actor)
    rows, minutes = await _rows(uow, actor, query)
    # the client choices come from the rows before the client filter, so a filter can be changed
    unfiltered = rows if not query.client else (await _rows(uow, actor, replace(query, client="")))[0]
    clients = sorted({r.item.client_name for r in unfiltered if r.item.client_name}, key=str.lower)
    views = list(VIEWS.items()) if policy.may_write(actor) else [("team", VIEWS["team"])]
    figures = {
        "waiting": len(rows),
        "urgent": sum(1 for r in rows if r.item.priority == "urgent"),
        "high": sum(1 for r in rows if r.item.priority == "high"),
        "breached": sum(1 for r in rows if r.sla.state == "breached"),
    }
    return render(
        request,
        "handoffs/queue.html",
        rows=rows,
        query=query,
        views=views,
        clients=clients,
        priorities=list(PRIORITY_RANK),
        figures=figures,
        sla_minutes=minutes,
        summary_states=SUMMARY_STATES,
    )


@router.get("/queue/rows/{handoff_id}")
async def queue_row(request: Request, handoff_id: uuid.UUID, uow: UowDep, actor: PageActor) -> Response:
    """One row as the queue renders it, if the caller's queue (with the same filters) holds it."""
    rows, _ = await _rows(uow, actor, QueueQuery.parse(request, actor), only=handoff_id)
    if not rows:
        raise NotFound("That escalation is not in your queue (taken, withdrawn, or filtered out).")
    return render(request, "handoffs/_queue_row.html", r=rows[0], summary_states=SUMMARY_STATES)
