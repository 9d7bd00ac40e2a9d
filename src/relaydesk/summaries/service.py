"""The rules of the summary itself: reading and storing it, the model's refinement, the last-resort
summary, and the ticket note.

The other jobs of the summaries domain have their own modules: material.py (what the engines see),
similar.py (the similar-session search), runs.py (the record of model calls), variants.py (client
update and email draft) and suggestions.py (the workspace's next steps). Functions that take a `uow`
work inside the caller's transaction and flush, as every service does.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import NotFound
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.live.service import append_event
from relaydesk.redaction import redact
from relaydesk.sessions.models import Session
from relaydesk.summaries import offline, writeups
from relaydesk.summaries.llm import LlmRun
from relaydesk.summaries.material import session_material
from relaydesk.summaries.schemas import Summary
from relaydesk.summaries.words import clip

SUMMARY_EVENT = "summary.ready"
WORKER_STOPPED = "the worker stopped during the model call"


async def save_summary(uow: UnitOfWork, handoff: Handoff, summary: Summary) -> None:
    """Store the summary on the handoff and tell every open screen (event `summary.ready`)."""
    handoff.summary = summary.stored()
    handoff.summary_state = summary.state
    await uow.flush()
    await append_event(
        uow,
        account_id=handoff.account_id,
        type=SUMMARY_EVENT,
        session_id=handoff.session_id,
        handoff_id=handoff.id,
        payload={
            "stage": summary.state,
            "engine": summary.engine,
            "confidence": summary.confidence,
            "fallback_reason": summary.fallback_reason,
        },
    )


def refined(draft: Summary, run: LlmRun, *, now: datetime) -> Summary:
    """The model's assessment over the offline draft; the draft itself, with the reason, when it failed."""
    if run.parsed is None:
        return draft.model_copy(
            update={
                "state": "ready",
                "fallback_reason": f"{run.model}: {run.error or 'no usable reply'}",
                "usage": run.usage,
                "updated_at": now,
            }
        )
    parsed = run.parsed
    basis = (
        f"The model's judgement from the session's steps and {len(draft.similar_sessions)} similar "
        f"resolved session{'s' if len(draft.similar_sessions) != 1 else ''}."
    )
    # The input was redacted; redacting the reply too costs nothing and guards what goes on to the PSA.
    return draft.model_copy(
        update={
            "ticket_note": redact(parsed.ticket_note),
            "what_we_know": [redact(f) for f in parsed.what_we_know],
            "facts": [],
            "likely_cause": redact(parsed.likely_cause),
            "suggested_steps": [redact(s) for s in parsed.suggested_steps],
            "confidence": parsed.confidence,
            "confidence_basis": basis,
            "evidence": parsed.evidence,
            "engine": run.model,
            "fallback_reason": None,
            "usage": run.usage,
            "prompt_version": run.prompt_version,
            "state": "ready",
            "updated_at": now,
        }
    )


def failed_summary(handoff: Handoff, error: str, *, now: datetime) -> Summary:
    """What a handoff gets when even the offline engine keeps failing: it still reaches ready."""
    problem = redact(HandoffSnapshot.read(handoff.snapshot).problem_summary)
    return Summary(
        ticket_note=f"{clip(problem, 1900).rstrip('.')}. The automatic summary could not be made.",
        likely_cause="No assessment: the summary could not be made.",
        confidence="low",
        confidence_basis="No assessment was made.",
        engine=offline.ENGINE,
        fallback_reason=f"the summary could not be made: {error}"[:300],
        state="ready",
        created_at=now,
        updated_at=now,
    )


async def readable_handoff(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """The handoff if the actor may read it (the handoffs domain's rules); 404 otherwise."""
    await handoffs.get_handoff(uow, actor, handoff_id)
    handoff = await uow.scalar(
        select(Handoff).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if handoff is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    return handoff


async def get_summary(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Summary | None:
    handoff = await readable_handoff(uow, actor, handoff_id)
    return Summary.read(handoff.summary)


async def ticket_note(uow: UnitOfWork, session: Session, summary: Summary | None) -> str:
    """The PSA ticket note, instant. While the session is open: the summary's prose. Once resolved: the
    note is written again from the session as it ended (every step, whoever took it, and the fix), so
    no guess about the cause stands beside the resolution."""
    resolution = (session.resolution or "").strip()
    if session.status != "resolved" or not resolution:
        if summary is not None:
            # Stored summaries are redacted already; again here because this text leaves (invariant 7).
            return redact(summary.ticket_note.strip())
    material = await session_material(uow, session, search=False)
    if session.status != "resolved" or not resolution:
        return writeups.ticket_note(
            material, cause=offline.assess(material).likely_cause, next_step=None, grounded=False
        )
    resolver_id = session.assignee_id or session.owner_id
    resolver = await uow.scalar(select(User.name).where(User.id == resolver_id))
    return writeups.resolved_note(material, redact(resolution), resolved_by=resolver)
