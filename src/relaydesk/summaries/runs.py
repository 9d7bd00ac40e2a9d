"""The record of model runs: one row per model call (what was sent, already redacted; what came back;
tokens, time, error), and the admin's reads of it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import NotFound
from relaydesk.handoffs.models import Handoff
from relaydesk.metrics import observe_model_call
from relaydesk.summaries.llm import LlmCall
from relaydesk.summaries.models import ModelRun


async def record_run(
    uow: UnitOfWork,
    run: LlmCall,
    *,
    account_id: uuid.UUID,
    purpose: str,
    handoff_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    requested_by_id: uuid.UUID | None = None,
    output: dict[str, Any] | None = None,
    existing: ModelRun | None = None,
) -> ModelRun:
    """One row per model call: what was sent (already redacted), what came back, tokens, time, error."""
    observe_model_call(purpose, run.latency_ms / 1000, run.error)
    row = existing or ModelRun(
        id=uuid.uuid4(),
        account_id=account_id,
        handoff_id=handoff_id,
        session_id=session_id,
        requested_by_id=requested_by_id,
        purpose=purpose,
    )
    row.model = run.model
    row.prompt_version = run.prompt_version
    row.input_text = run.input_text
    row.raw_output = run.raw_output
    row.parsed = run.ok
    row.output = output
    row.input_tokens = run.usage.input_tokens
    row.output_tokens = run.usage.output_tokens
    row.latency_ms = run.latency_ms
    row.attempts = run.attempts
    row.error = run.error
    row.prompt_cut = run.prompt_cut
    if existing is None:
        uow.add(row)
    await uow.flush()
    return row


async def handoff_runs(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> list[ModelRun]:
    actor.require("admin", "read model runs")
    handoff = await uow.scalar(
        select(Handoff.id).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if handoff is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    return list(
        await uow.all(select(ModelRun).where(ModelRun.handoff_id == handoff_id).order_by(ModelRun.created_at))
    )


async def account_runs(
    uow: UnitOfWork, actor: Actor, *, purpose: str | None = None, limit: int = 100
) -> list[ModelRun]:
    actor.require("admin", "read model runs")
    query = select(ModelRun).where(ModelRun.account_id == actor.account_id)
    if purpose:
        query = query.where(ModelRun.purpose == purpose)
    return await uow.all(query.order_by(ModelRun.created_at.desc(), ModelRun.id).limit(limit))


async def get_run(uow: UnitOfWork, actor: Actor, run_id: uuid.UUID) -> ModelRun:
    actor.require("admin", "read model runs")
    run = await uow.scalar(
        select(ModelRun).where(ModelRun.id == run_id, ModelRun.account_id == actor.account_id)
    )
    if run is None:
        raise NotFound("No such model run.")
    return run
