"""Variants: the client update and the email draft, tone shifts of the ticket note made on first request
and cached (invariant 5). Offline by template (writeups.py); with a model, one small call on the ticket
note only, never the material.

`make_variant` owns its transactions: a model call never runs inside one. It reads and commits, calls
the model with nothing open, then writes and commits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import Conflict, NotFound, NotPermitted
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.redaction import redact, redact_optional
from relaydesk.sessions.models import Session
from relaydesk.summaries import llm, offline, prompts, writeups
from relaydesk.summaries.llm import LlmConfig, RewriteRun
from relaydesk.summaries.runs import record_run
from relaydesk.summaries.schemas import Summary, VariantInfo
from relaydesk.summaries.service import readable_handoff, ticket_note
from relaydesk.summaries.words import fingerprint

Variant = prompts.Variant


@dataclass
class VariantResult:
    variant: Variant
    text: str
    engine: str
    fallback_reason: str | None
    cached: bool
    ticket_note: str


def client_case(session: Session, outcomes: Sequence[str], *, claimed: bool) -> writeups.ClientCase:
    """What the client templates know of a session: only this session's own words, none of history."""
    return writeups.ClientCase(
        problem=redact(session.problem_summary),
        client=redact_optional(session.client_name),
        ticket=redact_optional(session.ticket_id),
        steps_tried=sum(1 for o in outcomes if o in ("failed", "partial", "fixed")),
        partly_helped="partial" in outcomes,
        resolved=session.status == "resolved",
        contact_name=redact_optional(session.contact_name),
        category=redact_optional(session.category),
        resolution=redact(session.resolution) if session.resolution else None,
        claimed=claimed,
    )


def template(variant: Variant, case: writeups.ClientCase) -> str:
    return writeups.client_message(case) if variant == "client_update" else writeups.email_draft(case)


@dataclass
class _VariantPlan:
    handoff_id: uuid.UUID
    result: VariantResult | None
    prose: str
    note: str
    case: writeups.ClientCase


async def _plan_variant(
    uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, variant: Variant, *, refresh: bool
) -> _VariantPlan:
    if not actor.at_least("engineer"):
        raise NotPermitted("Viewers cannot make client updates or email drafts.")
    handoff = await readable_handoff(uow, actor, handoff_id)
    summary = Summary.read(handoff.summary)
    if summary is None:
        raise Conflict("The summary is still being made; try again in a moment.")
    session = await uow.get(Session, handoff.session_id)
    if session is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    note = await ticket_note(uow, session, summary)
    outcomes = [s.outcome for s in HandoffSnapshot.read(handoff.snapshot).steps]
    case = client_case(session, outcomes, claimed=handoff.status == "claimed")
    cached = getattr(summary.variants, variant)
    info = summary.variant_info.get(variant)
    if cached and info and info.source == fingerprint(note) and not refresh:
        return _VariantPlan(
            handoff.id,
            VariantResult(variant, cached, info.engine, info.fallback_reason, True, note),
            summary.ticket_note,
            note,
            case,
        )
    return _VariantPlan(handoff.id, None, summary.ticket_note, note, case)


async def _save_variant(
    uow: UnitOfWork, handoff_id: uuid.UUID, plan: _VariantPlan, result: VariantResult
) -> None:
    # Lock and re-read: the worker may have refined the summary since the plan was made.
    handoff = await uow.scalar(select(Handoff).where(Handoff.id == handoff_id).with_for_update())
    summary = Summary.read(handoff.summary) if handoff is not None else None
    if handoff is None or summary is None:
        return
    if summary.ticket_note != plan.prose:
        return  # made from prose that has since been replaced: never cache it against the new prose
    variant, note = result.variant, plan.note
    variants = summary.variants.model_copy(update={variant: result.text})
    info = dict(summary.variant_info)
    info[variant] = VariantInfo(
        engine=result.engine,
        fallback_reason=result.fallback_reason,
        source=fingerprint(note),
        made_at=datetime.now(UTC),
    )
    handoff.summary = summary.model_copy(update={"variants": variants, "variant_info": info}).model_dump(
        mode="json"
    )
    await uow.flush()


@dataclass
class _Turn:
    lock: asyncio.Lock
    users: int = 0


# Same-process callers for one variant wait for each other, so a double click makes one call. An entry
# lives while someone holds or awaits it.
_variant_turns: dict[tuple[uuid.UUID, str], _Turn] = {}


async def make_variant(
    db: Database,
    actor: Actor,
    handoff_id: uuid.UUID,
    variant: Variant,
    *,
    config: LlmConfig | None,
    refresh: bool = False,
) -> VariantResult:
    """The client update or email draft: cached; made by template offline, else one small model call on
    the ticket note only (never the material)."""
    async with db.uow(actor.account_id) as uow:
        plan = await _plan_variant(uow, actor, handoff_id, variant, refresh=refresh)
    if plan.result is not None:
        return plan.result

    key = (handoff_id, variant)
    turn = _variant_turns.setdefault(key, _Turn(asyncio.Lock()))
    turn.users += 1
    try:
        async with turn.lock:
            return await _make_variant_in_turn(
                db, actor, plan, variant=variant, config=config, refresh=refresh
            )
    finally:
        turn.users -= 1
        if turn.users == 0:
            _variant_turns.pop(key, None)


async def _make_variant_in_turn(
    db: Database,
    actor: Actor,
    plan: _VariantPlan,
    *,
    variant: Variant,
    config: LlmConfig | None,
    refresh: bool,
) -> VariantResult:
    handoff_id = plan.handoff_id
    if not refresh:
        # Someone else may have made it while this caller waited for its turn.
        async with db.uow(actor.account_id) as uow:
            plan = await _plan_variant(uow, actor, handoff_id, variant, refresh=False)
        if plan.result is not None:
            return plan.result
    run: RewriteRun | None = None
    if config is not None:
        run = await llm.rewrite(redact(plan.note), variant, config)
    if run is not None and run.text:
        result = VariantResult(variant, redact(run.text), run.model, None, False, plan.note)
    else:
        reason = f"{run.model}: {run.error}" if run is not None else None
        result = VariantResult(
            variant, template(variant, plan.case), offline.ENGINE, reason, False, plan.note
        )
    async with db.uow(actor.account_id) as uow:
        if run is not None:
            await record_run(
                uow,
                run,
                account_id=actor.account_id,
                purpose=variant,
                handoff_id=handoff_id,
                requested_by_id=actor.user_id,
                output={"text": run.text} if run.text else None,
            )
        await _save_variant(uow, handoff_id, plan, result)
    return result
