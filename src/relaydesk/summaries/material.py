"""What the engines see: a handoff's snapshot or a session as it stands, redacted (invariant 7), with the
similar sessions of the account's history (similar.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import aliased

from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.redaction import redact, redact_mapping, redact_optional
from relaydesk.sessions.models import Session, SessionComment, Step
from relaydesk.summaries.models import SessionSuggestions
from relaydesk.summaries.schemas import StepMaterial, SummaryMaterial
from relaydesk.summaries.similar import find_similar


def _steps_from_snapshot(snapshot: HandoffSnapshot) -> list[StepMaterial]:
    return [
        StepMaterial(
            id=step.id,
            action=step.action,
            result=step.result,
            outcome=step.outcome,
            author=redact(step.author) if step.author else "a technician",
            at=step.at,
        )
        for step in snapshot.steps
        if step.action.strip() and step.id is not None and step.at is not None
    ]


def steps_text(steps: Sequence[StepMaterial]) -> str:
    """The steps as one query text for the similar-session search."""
    return " ".join(f"{s.action} {s.result or ''}" for s in steps)


async def comment_notes(uow: UnitOfWork, session_id: uuid.UUID) -> list[StepMaterial]:
    """The session's comments as the engines see them: notes (outcome info, no result), redacted."""
    author = aliased(User)
    rows = await uow.rows(
        select(SessionComment, author.name)
        .join(author, author.id == SessionComment.author_id)
        .where(SessionComment.session_id == session_id)
        .order_by(SessionComment.created_at, SessionComment.id)
    )
    return [
        StepMaterial(
            id=comment.id,
            action=redact(comment.body),
            result=None,
            outcome="info",
            author=redact(name) if name else "a technician",
            at=comment.created_at,
        )
        for comment, name in rows
    ]


def _in_time(steps: list[StepMaterial], notes: list[StepMaterial]) -> list[StepMaterial]:
    return sorted([*steps, *notes], key=lambda s: s.at) if notes else steps


async def handoff_material(uow: UnitOfWork, handoff: Handoff) -> SummaryMaterial:
    """What the engines see of a handoff: its snapshot, redacted (invariant 7), its comments as notes,
    and similar sessions."""
    # Redacted as JSON first: the redaction reads some keys (a `password` field) as secrets whole.
    snap = HandoffSnapshot.read(redact_mapping(handoff.snapshot or {}))
    steps = _in_time(_steps_from_snapshot(snap), await comment_notes(uow, handoff.session_id))
    problem = snap.problem_summary
    similar = await find_similar(
        uow,
        handoff.account_id,
        problem=problem,
        context=steps_text(steps),
        notes=" ".join(x for x in (snap.reason, snap.notes) if x),
        exclude_session_id=handoff.session_id,
    )
    contact = await uow.scalar(select(Session.contact_name).where(Session.id == handoff.session_id))
    return SummaryMaterial(
        problem=problem,
        category=snap.category,
        client=snap.client_name,
        contact_name=contact,
        ticket=snap.ticket_id,
        priority=snap.priority or "normal",
        reason=snap.reason,
        notes=snap.notes,
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
            author=redact(name) if name else "a technician",
            at=step.created_at,
        )
        for step, name in rows
    ]


async def session_material(uow: UnitOfWork, session: Session, *, search: bool = True) -> SummaryMaterial:
    """The same material for a session as it stands now (suggestions, the resolve screen), redacted,
    its comments as notes."""
    steps = _in_time(await session_steps(uow, session), await comment_notes(uow, session.id))
    problem = redact(session.problem_summary)
    similar = (
        await find_similar(
            uow, session.account_id, problem=problem, context=steps_text(steps), exclude_session_id=session.id
        )
        if search
        else []
    )
    return SummaryMaterial(
        problem=problem,
        category=redact_optional(session.category),
        client=redact_optional(session.client_name),
        contact_name=redact_optional(session.contact_name),
        ticket=redact_optional(session.ticket_id),
        priority=session.priority,
        steps=steps,
        similar_sessions=similar,
    )


async def suggested_before(uow: UnitOfWork, session_id: uuid.UUID) -> list[str]:
    row = await uow.scalar(select(SessionSuggestions).where(SessionSuggestions.session_id == session_id))
    return list((row.suggestions or {}).get("suggested_steps", [])) if row else []
