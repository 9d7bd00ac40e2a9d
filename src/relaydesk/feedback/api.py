"""JSON routes of feedback: the claimer's answer on an escalation's assessment."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from relaydesk.feedback import service as feedback
from relaydesk.feedback.schemas import FeedbackIn, FeedbackOut
from relaydesk.web.deps import CurrentActor, UowDep

router = APIRouter(prefix="/api/v1/handoffs", tags=["feedback"])


@router.get("/{handoff_id}/assessment-feedback", response_model=FeedbackOut)
async def get_feedback(handoff_id: uuid.UUID, uow: UowDep, actor: CurrentActor) -> FeedbackOut:
    return await feedback.get_feedback(uow, actor, handoff_id)


@router.post(
    "/{handoff_id}/assessment-feedback",
    response_model=FeedbackOut,
    responses={
        403: {"description": "Viewers, and anyone but the claimer."},
        404: {"description": "No such handoff in this account."},
        409: {"description": "No assessment yet, or the session is resolved."},
    },
)
async def record_feedback(
    handoff_id: uuid.UUID, feedback_in: FeedbackIn, uow: UowDep, actor: CurrentActor
) -> FeedbackOut:
    """ "Was this the cause?" (yes / partly / no) and the similar sessions that helped; until resolve."""
    return await feedback.record_feedback(uow, actor, handoff_id, feedback_in)
