"""JSON routes of summaries: the summary, its variants, workspace suggestions, model runs.

Routes that may call a model (variants, suggestions) authenticate in a transaction of their own that
ends before the call: the request's usual unit of work would stay open across it, holding a pooled
connection for up to the deadline (docs/architecture.md: nothing leaves the process inside a
transaction). web.deps.DetachedActor does that.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from relaydesk.errors import NotFound
from relaydesk.summaries import runs, variants
from relaydesk.summaries import service as summaries
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.schemas import SimilarSession, Summary, Usage
from relaydesk.summaries.suggestions import suggest
from relaydesk.web.deps import CurrentActor, DetachedActor, SettingsDep, UowDep, get_db

router = APIRouter(prefix="/api/v1", tags=["summaries"])


class VariantOut(BaseModel):
    variant: Literal["client_update", "email_draft"]
    text: str
    engine: str
    fallback_reason: str | None
    cached: bool
    ticket_note: str


class SuggestionsOut(BaseModel):
    likely_cause: str
    suggested_steps: list[str]
    confidence: Literal["low", "medium", "high"]
    confidence_basis: str
    evidence: list[str]
    similar_sessions: list[SimilarSession]
    engine: str
    fallback_reason: str | None
    usage: Usage | None
    model_available: bool


class ModelRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    handoff_id: uuid.UUID | None
    session_id: uuid.UUID | None
    requested_by_id: uuid.UUID | None
    purpose: str
    model: str
    prompt_version: str
    parsed: bool
    input_tokens: int
    output_tokens: int
    latency_ms: int
    attempts: int
    error: str | None
    created_at: datetime


class ModelRunDetail(ModelRunOut):
    input_text: str
    raw_output: str | None
    output: dict[str, object] | None


@router.get("/handoffs/{handoff_id}/summary", response_model=Summary)
async def get_summary(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> Summary:
    """The handoff's summary (also in `GET /handoffs/{id}` as `summary`); 404 until the first draft."""
    summary = await summaries.get_summary(uow, actor, handoff_id)
    if summary is None:
        raise NotFound("The summary is still being made.")
    return summary


@router.post("/handoffs/{handoff_id}/summary/variants/{variant}", response_model=VariantOut)
async def make_variant(
    handoff_id: uuid.UUID,
    variant: Literal["client_update", "email_draft"],
    request: Request,
    actor: DetachedActor,
    settings: SettingsDep,
    refresh: bool = Query(False, description="Make it again instead of returning the cached one."),
) -> VariantOut:
    """A tone shift of the ticket note for the client (`client_update`) or as an email (`email_draft`).
    Cached per ticket note; offline by template, else one small call to RELAYDESK_LLM_FAST_MODEL (or the
    main model) on the ticket note only."""
    result = await variants.make_variant(
        get_db(request),
        actor,
        handoff_id,
        variant,
        config=LlmConfig.from_settings(settings, fast=True),
        refresh=refresh,
    )
    return VariantOut(
        variant=result.variant,
        text=result.text,
        engine=result.engine,
        fallback_reason=result.fallback_reason,
        cached=result.cached,
        ticket_note=result.ticket_note,
    )


@router.post("/sessions/{session_id}/suggestions", response_model=SuggestionsOut)
async def suggestions(
    session_id: uuid.UUID,
    request: Request,
    actor: DetachedActor,
    settings: SettingsDep,
    engine: Literal["auto", "offline"] = Query(
        "auto", description="`offline` answers at once; `auto` asks the model when one is configured."
    ),
) -> SuggestionsOut:
    """Likely cause, next steps not yet tried, confidence and similar past sessions for an active session.
    Model answers are limited per user per hour (RELAYDESK_SUGGESTIONS_PER_USER_PER_HOUR, default 20);
    beyond it the offline answer comes back with `fallback_reason` saying so."""
    result = await suggest(
        get_db(request),
        actor,
        session_id,
        config=LlmConfig.from_settings(settings),
        engine=engine,
        per_user_per_hour=settings.suggestions_per_user_per_hour,
    )
    return SuggestionsOut(
        likely_cause=result.likely_cause,
        suggested_steps=result.suggested_steps,
        confidence=result.confidence,
        confidence_basis=result.confidence_basis,
        evidence=result.evidence,
        similar_sessions=result.similar_sessions,
        engine=result.engine,
        fallback_reason=result.fallback_reason,
        usage=result.usage,
        model_available=result.model_available,
    )


@router.get("/handoffs/{handoff_id}/runs", response_model=list[ModelRunDetail])
async def handoff_runs(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> list[ModelRunDetail]:
    """Every model call made for this handoff, with what was sent and what came back. Admins and owners."""
    return [ModelRunDetail.model_validate(r) for r in await runs.handoff_runs(uow, actor, handoff_id)]


@router.get("/model-runs", response_model=list[ModelRunOut])
async def model_runs(
    uow: UowDep,
    actor: CurrentActor,
    purpose: Literal["assessment", "client_update", "email_draft", "suggestions"] | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[ModelRunOut]:
    """The account's model calls, newest first. Admins and owners."""
    found = await runs.account_runs(uow, actor, purpose=purpose, limit=limit)
    return [ModelRunOut.model_validate(r) for r in found]


@router.get("/model-runs/{run_id}", response_model=ModelRunDetail)
async def model_run(run_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> ModelRunDetail:
    return ModelRunDetail.model_validate(await runs.get_run(uow, actor, run_id))
