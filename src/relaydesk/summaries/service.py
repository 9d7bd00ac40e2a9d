"""The rules of summaries: the material, the similar sessions, the draft, the refinement, variants,
workspace suggestions and the record of model runs.

Functions that take a `uow` work inside the caller's transaction and flush, as every service does.
The three that take a `Database` (`make_variant`, `suggest`, and the worker in jobs.py) own their
transactions, because a model call must never run inside one (DESIGN.md: side effects that leave the
process never run inside a request's transaction): they read and commit, call the model with nothing
open, then write and commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import Conflict, NotFound, NotPermitted
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.models import Handoff
from relaydesk.live.service import append_event
from relaydesk.metrics import observe_model_call
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session, Step
from relaydesk.summaries import llm, offline, prompts
from relaydesk.summaries.llm import LlmCall, LlmConfig, LlmRun, RewriteRun
from relaydesk.summaries.models import ModelRun, SessionSuggestions
from relaydesk.summaries.redaction import redact, redact_mapping
from relaydesk.summaries.schemas import (
    Confidence,
    SimilarSession,
    StepMaterial,
    Summary,
    SummaryMaterial,
    Usage,
    VariantInfo,
)

# Similar sessions: candidates the GIN index finds, and how many (and how alike) make the cut.
SEARCH_CANDIDATES = 50
MAX_SIMILAR = 3
MIN_SCORE = 0.3
MIN_SHARED_TERMS = 2

SUMMARY_EVENT = "summary.ready"
WORKER_STOPPED = "the worker stopped during the model call"

Audience = prompts.Audience


def _now() -> datetime:
    return datetime.now(UTC)


# --- similar sessions ---------------------------------------------------------------------------------


def _or_query(lexemes: Sequence[str]) -> str | None:
    """`'vpn' | 'drop'`: tsquery text from lexemes PostgreSQL already normalised (so no re-stemming)."""
    quoted = ["'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes]
    return " | ".join(quoted) or None


async def find_similar(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    *,
    problem: str,
    context: str = "",
    exclude_session_id: uuid.UUID | None = None,
) -> list[SimilarSession]:
    """Resolved sessions of this account that look like `problem`, best first (never another account's).

    The GIN index finds resolved sessions sharing any of the problem's search terms; `ts_rank` over the
    problem and the steps (`context`) orders them; the score is the share of the problem's terms that
    a candidate's own problem and resolution hold (0 to 1), the figure confidence is judged on.
    """
    lexemes = await uow.rows(
        text(
            "SELECT tsvector_to_array(to_tsvector('english', :p)) AS p, "
            "tsvector_to_array(to_tsvector('english', :a)) AS a"
        ),
        {"p": problem, "a": f"{problem} {context}"},
    )
    problem_terms: list[str] = list(lexemes[0].p or [])
    match_query = _or_query(problem_terms)
    if match_query is None:
        return []
    rank_query = _or_query(list(lexemes[0].a or [])) or match_query
    rows = await uow.rows(
        text(
            """
            SELECT s.id, s.problem_summary, s.resolution,
                   ts_rank(s.search_document, CAST(:rank_q AS tsquery)) AS rank,
                   tsvector_to_array(ts_filter(s.search_document, '{a,b}')) AS own_terms
            FROM sessions s
            WHERE s.account_id = :account
              AND s.status = 'resolved'
              AND s.search_document @@ CAST(:match_q AS tsquery)
              AND s.id IS DISTINCT FROM :exclude
            ORDER BY rank DESC, s.resolved_at DESC, s.id
            LIMIT :limit
            """
        ),
        {
            "rank_q": rank_query,
            "match_q": match_query,
            "account": account_id,
            "exclude": exclude_session_id,
            "limit": SEARCH_CANDIDATES,
        },
    )
    wanted = set(problem_terms)
    needed = min(MIN_SHARED_TERMS, len(wanted))
    scored: list[tuple[float, float, SimilarSession]] = []
    for row in rows:
        shared = len(wanted & set(row.own_terms or []))
        score = shared / len(wanted)
        if shared < needed or score < MIN_SCORE:
            continue
        similar = SimilarSession(
            id=row.id,
            problem=redact(row.problem_summary),
            resolution=redact(row.resolution or ""),
            score=round(score, 2),
        )
        scored.append((score, row.rank, similar))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [similar for _, _, similar in scored[:MAX_SIMILAR]]


# --- material -----------------------------------------------------------------------------------------


def _steps_from_snapshot(snapshot: dict[str, Any]) -> list[StepMaterial]:
    return [
        StepMaterial(
            id=uuid.UUID(step["id"]),
            action=step.get("action") or "",
            result=step.get("result"),
            outcome=step.get("outcome") or "info",
            author=step.get("author") or "a technician",
            at=datetime.fromisoformat(step["at"]),
        )
        for step in snapshot.get("steps", [])
        if (step.get("action") or "").strip()
    ]


def _context(steps: Sequence[StepMaterial], *extra: str | None) -> str:
    parts = [f"{s.action} {s.result or ''}" for s in steps]
    return " ".join([*parts, *(e for e in extra if e)])


async def handoff_material(uow: UnitOfWork, handoff: Handoff) -> SummaryMaterial:
    """What the engines see of a handoff: its snapshot, redacted (invariant 7), and similar sessions."""
    snap = redact_mapping(handoff.snapshot or {})
    steps = _steps_from_snapshot(snap)
    problem = snap.get("problem_summary") or ""
    similar = await find_similar(
        uow,
        handoff.account_id,
        problem=problem,
        context=_context(steps, snap.get("reason"), snap.get("notes")),
        exclude_session_id=handoff.session_id,
    )
    return SummaryMaterial(
        problem=problem,
        category=snap.get("category"),
        client=snap.get("client_name"),
        ticket=snap.get("ticket_id"),
        priority=snap.get("priority") or "normal",
        reason=snap.get("reason"),
        notes=snap.get("notes"),
        steps=steps,
        similar_sessions=similar,
    )


async def session_steps(uow: UnitOfWork, session: Session) -> list[StepMaterial]:
    """A session's steps as the engines see them, oldest first, redacted."""
    author = aliased(User)
    rows = await uow.rows(
        select(Step, author.name)
        .join(author, author.id == Step.author_id)
        .where(Step.session_id == session.id)
        .order_by(Step.created_at, Step.id)
    )
    return [
        StepMaterial(
            id=step.id,
            action=redact(step.action),
            result=redact(step.result) if step.result else None,
            outcome=step.outcome,  # type: ignore[arg-type]
            author=name or "a technician",
            at=step.created_at,
        )
        for step, name in rows
    ]


async def session_material(uow: UnitOfWork, session: Session) -> SummaryMaterial:
    """The same material for a session as it stands now (workspace suggestions), redacted."""
    steps = await session_steps(uow, session)
    problem = redact(session.problem_summary)
    return SummaryMaterial(
        problem=problem,
        category=session.category,
        client=session.client_name,
        ticket=session.ticket_id,
        priority=session.priority,
        steps=steps,
        similar_sessions=await find_similar(
            uow,
            session.account_id,
            problem=problem,
            context=_context(steps),
            exclude_session_id=session.id,
        ),
    )


async def suggested_before(uow: UnitOfWork, session_id: uuid.UUID) -> list[str]:
    row = await uow.scalar(select(SessionSuggestions).where(SessionSuggestions.session_id == session_id))
    return list((row.suggestions or {}).get("suggested_steps", [])) if row else []


# --- writing the summary ---------------------------------------------------------------------------


def read_summary(raw: object) -> Summary | None:
    """The summary stored on a handoff, or None when there is none or it is not of this schema (an
    older or hand-written one): readers must never fail on a stored summary."""
    if not isinstance(raw, dict) or not raw:
        return None
    try:
        return Summary.model_validate(raw)
    except ValidationError:
        return None


async def save_summary(uow: UnitOfWork, handoff: Handoff, summary: Summary) -> None:
    """Store the summary on the handoff and tell every open screen (event `summary.ready`)."""
    handoff.summary = summary.model_dump(mode="json")
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
            "summary_prose": redact(parsed.summary_prose),
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
    problem = redact((handoff.snapshot or {}).get("problem_summary") or "")
    return Summary(
        summary_prose=offline.shorten(
            f"{problem.rstrip('.')}. The automatic summary could not be made.", 2000
        ),
        likely_cause="No assessment: the summary could not be made.",
        confidence="low",
        confidence_basis="No assessment was made.",
        engine=offline.ENGINE,
        fallback_reason=f"the summary could not be made: {error}"[:300],
        state="ready",
        created_at=now,
        updated_at=now,
    )


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
    if existing is None:
        uow.add(row)
    await uow.flush()
    return row


# --- reading --------------------------------------------------------------------------------------------


async def _readable_handoff(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Handoff:
    """The handoff if the actor may read it (the handoffs domain's rules); 404 otherwise."""
    await handoffs.get_handoff(uow, actor, handoff_id)
    handoff = await uow.scalar(
        select(Handoff).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if handoff is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    return handoff


async def get_summary(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> Summary | None:
    handoff = await _readable_handoff(uow, actor, handoff_id)
    return read_summary(handoff.summary)


def ticket_note(summary: Summary, resolution: str | None) -> str:
    """The PSA ticket note: the summary's prose, and the resolution once there is one. Instant."""
    note = summary.summary_prose.strip()
    if resolution and resolution.strip():
        note += f"\n\nResolution: {redact(resolution.strip())}"
    return note


async def handoff_runs(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> list[ModelRun]:
    actor.require("admin", "read model runs")
    handoff = await uow.scalar(
        select(Handoff.id).where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if handoff is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    return list(
        await uow.session.scalars(
            select(ModelRun).where(ModelRun.handoff_id == handoff_id).order_by(ModelRun.created_at)
        )
    )


async def account_runs(
    uow: UnitOfWork, actor: Actor, *, purpose: str | None = None, limit: int = 100
) -> list[ModelRun]:
    actor.require("admin", "read model runs")
    query = select(ModelRun).where(ModelRun.account_id == actor.account_id)
    if purpose:
        query = query.where(ModelRun.purpose == purpose)
    return list(
        await uow.session.scalars(query.order_by(ModelRun.created_at.desc(), ModelRun.id).limit(limit))
    )


async def get_run(uow: UnitOfWork, actor: Actor, run_id: uuid.UUID) -> ModelRun:
    actor.require("admin", "read model runs")
    run = await uow.scalar(
        select(ModelRun).where(ModelRun.id == run_id, ModelRun.account_id == actor.account_id)
    )
    if run is None:
        raise NotFound("No such model run.")
    return run


# --- variants: tone shifts of the ticket note, made on first request and cached (invariant 5) -------------


@dataclass
class VariantResult:
    audience: Audience
    text: str
    engine: str
    fallback_reason: str | None
    cached: bool
    ticket_note: str


def _audience_case(handoff: Handoff, session: Session) -> offline.Audience:
    snap = handoff.snapshot or {}
    steps = snap.get("steps", [])
    return offline.Audience(
        problem=redact(session.problem_summary),
        client=session.client_name,
        ticket=session.ticket_id,
        steps_tried=sum(1 for s in steps if s.get("outcome") in ("failed", "partial", "fixed")),
        partly_helped=any(s.get("outcome") == "partial" for s in steps),
        resolved=session.status == "resolved",
    )


def _template(audience: Audience, case: offline.Audience) -> str:
    return offline.client_update(case) if audience == "client_update" else offline.email_draft(case)


@dataclass
class _VariantPlan:
    handoff_id: uuid.UUID
    result: VariantResult | None
    prose: str
    note: str
    case: offline.Audience


async def _plan_variant(
    uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, audience: Audience, *, refresh: bool
) -> _VariantPlan:
    if not actor.at_least("engineer"):
        raise NotPermitted("Viewers cannot make client updates or email drafts.")
    handoff = await _readable_handoff(uow, actor, handoff_id)
    summary = read_summary(handoff.summary)
    if summary is None:
        raise Conflict("The summary is still being made; try again in a moment.")
    session = await uow.session.get(Session, handoff.session_id)
    if session is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    note = ticket_note(summary, session.resolution)
    case = _audience_case(handoff, session)
    cached = getattr(summary.variants, audience)
    info = summary.variant_info.get(audience)
    if cached and info and info.source == offline.fingerprint(note) and not refresh:
        return _VariantPlan(
            handoff.id,
            VariantResult(audience, cached, info.engine, info.fallback_reason, True, note),
            summary.summary_prose,
            note,
            case,
        )
    return _VariantPlan(handoff.id, None, summary.summary_prose, note, case)


async def _save_variant(
    uow: UnitOfWork, handoff_id: uuid.UUID, plan: _VariantPlan, result: VariantResult
) -> None:
    # Lock and re-read: the worker may have refined the summary since the plan was made.
    handoff = await uow.scalar(select(Handoff).where(Handoff.id == handoff_id).with_for_update())
    summary = read_summary(handoff.summary) if handoff is not None else None
    if handoff is None or summary is None:
        return
    if summary.summary_prose != plan.prose:
        return  # made from prose that has since been replaced: never cache it against the new prose
    audience, note = result.audience, plan.note
    variants = summary.variants.model_copy(update={audience: result.text})
    info = dict(summary.variant_info)
    info[audience] = VariantInfo(
        engine=result.engine,
        fallback_reason=result.fallback_reason,
        source=offline.fingerprint(note),
        made_at=_now(),
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
    audience: Audience,
    *,
    config: LlmConfig | None,
    refresh: bool = False,
) -> VariantResult:
    """The client update or email draft: cached; made by template offline, else one small model call on
    the ticket note only (never the material)."""
    async with db.uow(actor.account_id) as uow:
        plan = await _plan_variant(uow, actor, handoff_id, audience, refresh=refresh)
    if plan.result is not None:
        return plan.result

    key = (handoff_id, audience)
    turn = _variant_turns.setdefault(key, _Turn(asyncio.Lock()))
    turn.users += 1
    try:
        async with turn.lock:
            return await _make_variant_in_turn(
                db, actor, plan, audience=audience, config=config, refresh=refresh
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
    audience: Audience,
    config: LlmConfig | None,
    refresh: bool,
) -> VariantResult:
    handoff_id = plan.handoff_id
    if not refresh:
        # Someone else may have made it while this caller waited for its turn.
        async with db.uow(actor.account_id) as uow:
            plan = await _plan_variant(uow, actor, handoff_id, audience, refresh=False)
        if plan.result is not None:
            return plan.result
    run: RewriteRun | None = None
    if config is not None:
        run = await llm.rewrite(redact(plan.note), audience, config)
    if run is not None and run.text:
        result = VariantResult(audience, redact(run.text), run.model, None, False, plan.note)
    else:
        reason = f"{run.model}: {run.error}" if run is not None else None
        result = VariantResult(
            audience, _template(audience, plan.case), offline.ENGINE, reason, False, plan.note
        )
    async with db.uow(actor.account_id) as uow:
        if run is not None:
            await record_run(
                uow,
                run,
                account_id=actor.account_id,
                purpose=audience,
                handoff_id=handoff_id,
                requested_by_id=actor.user_id,
                output={"text": run.text} if run.text else None,
            )
        await _save_variant(uow, handoff_id, plan, result)
    return result


# --- workspace suggestions -------------------------------------------------------------------------------


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
    if not sessions.can_work(actor, session):
        raise NotPermitted("Only whoever works this session can ask for suggestions.")
    if session.status != "active":
        raise Conflict(f"Suggestions are for an active session; this one is {session.status}.")
    return session


async def _rate_limited(uow: UnitOfWork, actor: Actor, per_hour: int) -> bool:
    """Whether the actor has used up their model suggestions; if not, the slot is theirs (the caller
    inserts the run row in this transaction, under the same lock, so concurrent requests count)."""
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(727004, hashtext(:u))"), {"u": str(actor.user_id)}
    )
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
        result.suggested_steps = [
            redact(s) for s in run.parsed.suggested_steps if offline.was_tried(s, material.steps) is None
        ]
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
