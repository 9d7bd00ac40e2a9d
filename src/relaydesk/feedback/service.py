"""The rules of feedback: who may answer, when, and the verdict inferred at resolve when nobody did.

One policy (invariant 10): the claimer of an escalation, an engineer or above, may answer while the
session is not resolved; `may_answer` says so, the page shows the buttons only then, and
`record_feedback` refuses everyone else (viewers 403, other accounts 404 as for every row).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import delete, select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, NotFound, NotPermitted
from relaydesk.feedback.models import AssessmentFeedback, HelpfulMark
from relaydesk.feedback.schemas import FeedbackIn, FeedbackOut, HelpfulOut, Verdict
from relaydesk.feedback.similarity import lexemes, share
from relaydesk.handoffs.models import Handoff
from relaydesk.sessions.models import Session
from relaydesk.summaries.schemas import Summary

# An inferred verdict: the share of the assessment's terms the resolution holds (see similarity.py).
INFER_YES = 0.5
INFER_PARTLY = 0.2


def _now() -> datetime:
    return datetime.now(UTC)


def summary_of(handoff: Handoff) -> Summary | None:
    """The handoff's summary through its model; None while pending or unreadable."""
    if not handoff.summary or handoff.summary_state == "pending":
        return None
    try:
        return Summary.model_validate(handoff.summary)
    except ValidationError:
        return None


def may_answer(actor: Actor, handoff: Handoff, session: Session) -> bool:
    return (
        actor.at_least("engineer")
        and handoff.intent == "escalate"
        and handoff.claimed_by_id == actor.user_id
        and session.status != "resolved"
    )


@dataclass(frozen=True)
class _Target:
    handoff: Handoff
    session: Session


async def _load(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, *, for_update: bool = False) -> _Target:
    query = (
        select(Handoff, Session)
        .join(Session, Session.id == Handoff.session_id)
        .where(Handoff.id == handoff_id, Handoff.account_id == actor.account_id)
    )
    if for_update:
        query = query.with_for_update(of=Handoff)
    row = (await uow.rows(query)) or None
    if row is None:
        raise NotFound("No such handoff, or it is not visible to you.")
    handoff, session = row[0]
    return _Target(handoff, session)


def _refuse(actor: Actor, target: _Target) -> None:
    if not actor.at_least("engineer"):
        raise NotPermitted("Viewers cannot answer for an assessment.")
    if target.handoff.intent != "escalate" or target.handoff.claimed_by_id != actor.user_id:
        raise NotPermitted("Only the engineer who picked up this escalation can answer for its assessment.")
    if target.session.status == "resolved":
        raise Conflict("The session is resolved; its feedback can no longer change.")


async def _out(uow: UnitOfWork, actor: Actor, target: _Target) -> FeedbackOut:
    verdict = await uow.scalar(
        select(AssessmentFeedback).where(AssessmentFeedback.handoff_id == target.handoff.id)
    )
    marks = await uow.all(
        select(HelpfulMark).where(HelpfulMark.handoff_id == target.handoff.id).order_by(HelpfulMark.marked_at)
    )
    return FeedbackOut(
        handoff_id=target.handoff.id,
        cause=verdict.cause if verdict else None,
        inferred=bool(verdict and verdict.inferred),
        inferred_score=verdict.inferred_score if verdict else None,
        engine=verdict.engine if verdict else None,
        answered_by_id=verdict.answered_by_id if verdict else None,
        answered_at=verdict.answered_at if verdict else None,
        helpful=[
            HelpfulOut(session_id=m.past_session_id, marked_by_id=m.marked_by_id, marked_at=m.marked_at)
            for m in marks
        ],
        open=may_answer(actor, target.handoff, target.session),
    )


async def for_workspace(uow: UnitOfWork, actor: Actor, session: Session) -> FeedbackOut | None:
    """The claimer's feedback on the session's latest escalation, when they may give it (else None)."""
    handoff = await uow.scalar(
        select(Handoff)
        .where(
            Handoff.session_id == session.id,
            Handoff.account_id == actor.account_id,
            Handoff.intent == "escalate",
        )
        .order_by(Handoff.created_at.desc())
        .limit(1)
    )
    if handoff is None or summary_of(handoff) is None or not may_answer(actor, handoff, session):
        return None
    return await _out(uow, actor, _Target(handoff, session))


async def session_of(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> uuid.UUID:
    return (await _load(uow, actor, handoff_id)).session.id


async def get_feedback(uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID) -> FeedbackOut:
    target = await _load(uow, actor, handoff_id)
    return await _out(uow, actor, target)


async def record_feedback(
    uow: UnitOfWork, actor: Actor, handoff_id: uuid.UUID, feedback_in: FeedbackIn
) -> FeedbackOut:
    """Record (or change) the claimer's answer: the cause verdict and the similar sessions that helped."""
    target = await _load(uow, actor, handoff_id, for_update=True)
    _refuse(actor, target)
    summary = summary_of(target.handoff)
    if summary is None:
        raise Conflict("This escalation has no assessment yet; there is nothing to answer for.")
    now = _now()
    if feedback_in.cause is not None:
        await _set_verdict(uow, target, summary, feedback_in.cause, actor=actor, now=now)
    if feedback_in.helpful_session_ids is not None:
        shown = {s.id for s in summary.similar_sessions}
        wanted = set(feedback_in.helpful_session_ids)
        if not wanted <= shown:
            raise BadInput("helpful_session_ids may only name similar sessions shown with this assessment.")
        await uow.result(
            delete(HelpfulMark).where(
                HelpfulMark.handoff_id == target.handoff.id, HelpfulMark.past_session_id.not_in(wanted)
            )
        )
        kept = set(
            await uow.all(
                select(HelpfulMark.past_session_id).where(HelpfulMark.handoff_id == target.handoff.id)
            )
        )
        for past in wanted - kept:
            uow.add(
                HelpfulMark(
                    account_id=actor.account_id,
                    handoff_id=target.handoff.id,
                    past_session_id=past,
                    marked_by_id=actor.user_id,
                    marked_at=now,
                )
            )
    await uow.flush()
    return await _out(uow, actor, target)


async def _set_verdict(
    uow: UnitOfWork,
    target: _Target,
    summary: Summary,
    cause: Verdict,
    *,
    actor: Actor | None,
    now: datetime,
    score: float | None = None,
) -> None:
    row = await uow.scalar(
        select(AssessmentFeedback).where(AssessmentFeedback.handoff_id == target.handoff.id)
    )
    if row is None:
        row = AssessmentFeedback(
            account_id=target.handoff.account_id, handoff_id=target.handoff.id, session_id=target.session.id
        )
        uow.add(row)
    row.engine = summary.engine[:200]
    row.cause = cause
    row.inferred = actor is None
    row.inferred_score = score
    row.answered_by_id = actor.user_id if actor else None
    row.answered_at = now


def verdict_for(score: float) -> Verdict:
    if score >= INFER_YES:
        return "yes"
    if score >= INFER_PARTLY:
        return "partly"
    return "no"


async def infer_score(uow: UnitOfWork, resolution: str, summary: Summary) -> float:
    """How much of the assessment the resolution bears out: the best of the likely cause's share and
    each similar session's resolution's share (an assessment grounded in a past fix that was the fix
    again pointed the right way)."""
    texts = [resolution, summary.likely_cause, *(s.resolution for s in summary.similar_sessions)]
    resolved, *assessed = await lexemes(uow, texts)
    return max((share(terms, resolved) for terms in assessed), default=0.0)


async def infer_at_resolve(uow: UnitOfWork, actor: Actor, session: Session) -> None:
    """The resolve hook (sessions.service.on_resolve): when the claimer of the session's latest claimed
    escalation never answered, record a verdict inferred from the resolution, marked inferred."""
    handoff = await uow.scalar(
        select(Handoff)
        .where(
            Handoff.session_id == session.id,
            Handoff.account_id == session.account_id,
            Handoff.intent == "escalate",
            Handoff.claimed_by_id.is_not(None),
        )
        .order_by(Handoff.created_at.desc())
        .limit(1)
    )
    if handoff is None or not session.resolution:
        return
    answered = await uow.scalar(
        select(AssessmentFeedback.handoff_id).where(AssessmentFeedback.handoff_id == handoff.id)
    )
    summary = summary_of(handoff)
    if answered is not None or summary is None:
        return
    score = round(await infer_score(uow, session.resolution, summary), 3)
    await _set_verdict(
        uow, _Target(handoff, session), summary, verdict_for(score), actor=None, now=_now(), score=score
    )
    await uow.flush()
