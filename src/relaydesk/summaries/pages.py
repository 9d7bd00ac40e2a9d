"""Screens of summaries: the model runs page for admins, and what the workspace shows of summaries
(suggestion chips under the add-step form, the ticket note and its variants when a session is resolved).

The pickup screen's assessment section includes `summaries/_assessment.html`, which reads the handoff's
summary directly; the workspace parts come from `workspace_context`, wired in web/pages.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs import service as handoffs
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.summaries import runs, writeups
from relaydesk.summaries import service as summaries
from relaydesk.summaries.chips import was_tried
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.material import session_steps
from relaydesk.summaries.schemas import Summary
from relaydesk.summaries.variants import client_case
from relaydesk.web.auth import PageActor
from relaydesk.web.deps import UowDep, get_settings
from relaydesk.web.templating import render

router = APIRouter()

PURPOSE_LABELS = {
    "assessment": "Assessment",
    "client_update": "Client update",
    "email_draft": "Email draft",
    "suggestions": "Suggestions",
}


@dataclass
class Conclude:
    """The resolve screen's three tabs. With a handoff summary the variants come from the API (cached,
    made once); without one all three are offline and rendered here."""

    ticket_note: str
    variants_url: str | None
    client_update: str | None = None
    email_draft: str | None = None


@dataclass
class WorkspaceSummaries:
    suggestions_url: str | None
    model_available: bool
    conclude: Conclude | None
    # After a claim: the escalation summary's next steps not tried since, shown before any fetch.
    chips: list[str]
    chips_engine: str | None


async def _conclude(uow: UnitOfWork, actor: Actor, session: Session) -> Conclude:
    handoff = await handoffs.latest_escalation(uow, actor, session.id)
    summary = Summary.read(handoff.summary) if handoff is not None else None
    note = await summaries.ticket_note(uow, session, summary)
    if handoff is not None and summary is not None:
        return Conclude(
            ticket_note=note,
            variants_url=f"/api/v1/handoffs/{handoff.id}/summary/variants"
            if actor.at_least("engineer")
            else None,
        )
    outcomes = [s.outcome for s in await session_steps(uow, session)]
    case = client_case(session, outcomes, claimed=False)
    return Conclude(
        ticket_note=note,
        variants_url=None,
        client_update=writeups.client_message(case),
        email_draft=writeups.email_draft(case),
    )


async def _chips(uow: UnitOfWork, actor: Actor, session: Session) -> tuple[list[str], str | None]:
    handoff = await handoffs.latest_escalation(uow, actor, session.id)
    summary = Summary.read(handoff.summary) if handoff is not None else None
    if handoff is None or handoff.status != "claimed" or summary is None:
        return [], None
    steps = await session_steps(uow, session) if summary.suggested_steps else []
    return [s for s in summary.suggested_steps if was_tried(s, steps) is None], summary.engine


async def workspace_context(
    request: Request, uow: UnitOfWork, actor: Actor, session: Session
) -> dict[str, Any]:
    """What summaries add to the session workspace (see sessions.pages.Workspace)."""
    working = await sessions.can_work(uow, actor, session) and session.status == "active"
    chips, engine = await _chips(uow, actor, session) if working else ([], None)
    return {
        "summaries": WorkspaceSummaries(
            suggestions_url=f"/api/v1/sessions/{session.id}/suggestions" if working else None,
            model_available=LlmConfig.from_settings(get_settings(request)) is not None,
            conclude=await _conclude(uow, actor, session) if session.status == "resolved" else None,
            chips=chips,
            chips_engine=engine,
        )
    }


@router.get("/admin/model-runs")
async def model_runs(
    request: Request,
    uow: UowDep,
    actor: PageActor,
    handoff: uuid.UUID | None = None,
    purpose: str | None = None,
) -> Response:
    """Every model call of the account, newest first: how a team trusts, debugs and tunes the assessment."""
    if handoff is not None:
        found = list(reversed(await runs.handoff_runs(uow, actor, handoff)))
    else:
        found = await runs.account_runs(
            uow, actor, purpose=purpose if purpose in PURPOSE_LABELS else None, limit=200
        )
    return render(
        request,
        "summaries/model_runs.html",
        runs=found,
        handoff_id=handoff,
        purpose=purpose,
        purposes=PURPOSE_LABELS,
        model=LlmConfig.from_settings(get_settings(request)),
    )


@router.get("/admin/model-runs/{run_id}")
async def model_run(request: Request, run_id: uuid.UUID, uow: UowDep, actor: PageActor) -> Response:
    run = await runs.get_run(uow, actor, run_id)
    return render(request, "summaries/model_run.html", run=run, purposes=PURPOSE_LABELS)
