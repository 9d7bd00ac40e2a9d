"""Workspace suggestions: likely cause, next steps not yet tried, confidence and similar sessions for an
active session as it stands. The offline engine answers at once; with a model, one call, rate-limited
per user. `suggest` owns its transactions: the model call never runs inside one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, text

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import Conflict, NotPermitted
from relaydesk.redaction import redact
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.summaries import llm, offline, prompts
from relaydesk.summaries.chips import CHIP_CHARS, was_tried
from relaydesk.summaries.identifiers import generalise
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.material import session_material
from relaydesk.summaries.models import ModelRun, SessionSuggestions
from relaydesk.summaries.runs import record_run
from relaydesk.summaries.schemas import Confidence, SimilarSession, Usage
from relaydesk.summaries.words import clip


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Suggestions:
    likely_cause: str
    suggested_steps: list[str]
    confidence: Confidence
    confidence_basis: str
    evidence: list[str]
    similar_sessions: list[SimilarSession]
    engine: str
    fallback_reason: str | None
    usage: Usage | None
    model_available: bool


SuggestEngine = Literal["auto", "offline"]


async def _session_to_suggest_for(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> Session:
    session = await sessions.get_session(uow, actor, session_id)
    if not await sessions.can_work(uow, actor, session):
        raise NotPermitted("Only whoever works this session can ask for suggestions.")
    if session.status != "active":
        raise Conflict(f"Suggestions are for an active session; this one is {session.status}.")
    return session


async def _rate_limited(uow: UnitOfWork, actor: Actor, per_hour: int) -> bool:
    """Whether the actor has used up their model suggestions; if not, the slot is theirs (the caller
    inserts the run row in this transaction, under the same lock, so concurrent requests count)."""
    await uow.result(text("SELECT pg_advisory_xact_lock(727004, hashtext(:u))"), {"u": str(actor.user_id)})
    used = await uow.scalar(
        select(func.count())
        .select_from(ModelRun)
        .where(
            ModelRun.requested_by_id == actor.user_id,
            ModelRun.purpose == "suggestions",
            ModelRun.created_at > _now() - timedelta(hours=1),
        )
    )
    return int(used or 0) >= per_hour


async def _remember_suggestions(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, result: Suggestions
) -> None:
    row = await uow.scalar(
        select(SessionSuggestions).where(SessionSuggestions.session_id == session_id).with_for_update()
    )
    payload = {
        "likely_cause": result.likely_cause,
        "suggested_steps": result.suggested_steps,
        "confidence": result.confidence,
    }
    if row is None:
        uow.add(
            SessionSuggestions(
                session_id=session_id,
                account_id=actor.account_id,
                requested_by_id=actor.user_id,
                engine=result.engine,
                suggestions=payload,
            )
        )
    else:
        row.requested_by_id, row.engine, row.suggestions, row.updated_at = (
            actor.user_id,
            result.engine,
            payload,
            _now(),
        )
    await uow.flush()


async def suggest(
    db: Database,
    actor: Actor,
    session_id: uuid.UUID,
    *,
    config: LlmConfig | None,
    engine: SuggestEngine = "auto",
    per_user_per_hour: int = 20,
) -> Suggestions:
    """Likely cause, next steps not yet tried, confidence and similar sessions for an active session as it
    stands: the offline engine at once; with a model (and `engine="auto"`), one call, rate-limited per
    user (beyond the limit the offline answer comes back with the reason)."""
    run_row: ModelRun | None = None
    fallback: str | None = None
    async with db.uow(actor.account_id) as uow:
        session = await _session_to_suggest_for(uow, actor, session_id)
        material = await session_material(uow, session)
        found = offline.assess(material)
        result = Suggestions(
            likely_cause=found.likely_cause,
            suggested_steps=found.suggested_steps,
            confidence=found.confidence,
            confidence_basis=found.confidence_basis,
            evidence=found.evidence,
            similar_sessions=found.similar_sessions,
            engine=offline.ENGINE,
            fallback_reason=None,
            usage=None,
            model_available=config is not None,
        )
        if config is not None and engine == "auto":
            if await _rate_limited(uow, actor, per_user_per_hour):
                fallback = (
                    f"model suggestions are limited to {per_user_per_hour} per user per hour; "
                    "these are the offline engine's"
                )
            else:
                # Reserve the call now (it counts against the limit even if this process dies mid-call).
                run_row = ModelRun(
                    id=uuid.uuid4(),
                    account_id=actor.account_id,
                    session_id=session.id,
                    requested_by_id=actor.user_id,
                    purpose="suggestions",
                    model=config.model,
                    prompt_version=prompts.PROMPT_VERSION,
                    input_text="",
                    parsed=False,
                    input_tokens=0,
                    output_tokens=0,
                    latency_ms=0,
                    attempts=0,
                    error="the call did not finish",
                )
                uow.add(run_row)
                await uow.flush()
        if run_row is None:
            result.fallback_reason = fallback
            await _remember_suggestions(uow, actor, session.id, result)
            return result

    assert config is not None
    run = await llm.assess(material, config)
    if run.parsed is not None:
        result.likely_cause = redact(run.parsed.likely_cause)
        # The model saw other sessions' fixes: its chips get the same care as the offline ones.
        chips = [clip(generalise(redact(s)), CHIP_CHARS) for s in run.parsed.suggested_steps]
        result.suggested_steps = [s for s in chips if s and was_tried(s, material.steps) is None]
        result.confidence = run.parsed.confidence
        result.confidence_basis = (
            f"The model's judgement from the steps and {len(material.similar_sessions)} similar sessions."
        )
        result.evidence = run.parsed.evidence
        result.engine = run.model
    else:
        result.fallback_reason = f"{run.model}: {run.error}"
    result.usage = run.usage
    async with db.uow(actor.account_id) as uow:
        row = await uow.scalar(select(ModelRun).where(ModelRun.id == run_row.id))
        await record_run(
            uow,
            run,
            account_id=actor.account_id,
            purpose="suggestions",
            output=run.parsed.model_dump(mode="json") if run.parsed else None,
            existing=row,
        )
        await _remember_suggestions(uow, actor, session_id, result)
    return result
