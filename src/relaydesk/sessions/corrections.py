"""Correcting a step: its author may edit or delete it for a while after writing it.

The window is `RELAYDESK_STEP_EDIT_MINUTES` (15 by default). Every change is a `step.edited` or
`step.deleted` event naming who and when, with the before (and after), in the audit trail. A step
someone replied to (a comment with its `step_id`) may be edited but not deleted: the reply would
point at nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import Conflict, NotFound, NotPermitted
from relaydesk.handoffs import policy
from relaydesk.sessions import secrets
from relaydesk.sessions.hooks import step_changed
from relaydesk.sessions.models import Session, SessionComment, Step
from relaydesk.sessions.schemas import StepEdit
from relaydesk.sessions.service import get_session, step_event


async def _own_step(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, step_id: uuid.UUID, window: timedelta, doing: str
) -> tuple[Session, Step]:
    session = await get_session(uow, actor, session_id, for_update=True)
    step = await uow.scalar(
        select(Step).where(Step.id == step_id, Step.session_id == session.id).with_for_update()
    )
    if step is None:
        raise NotFound("No such step in this session.")
    handoff = await policy.latest_escalation(uow, session.id)
    if step.author_id != actor.user_id:
        raise NotPermitted(f"Only the engineer who wrote a step can {doing} it; add a comment instead.")
    if not policy.allows(actor, policy.Action.EDIT_STEP, session, handoff):
        raise Conflict(
            f"The session is {policy.state_of(session, handoff)}; its steps can no longer be changed."
        )
    minutes = int(window.total_seconds() // 60)
    if datetime.now(UTC) - step.created_at > window:
        raise Conflict(
            f"A step can be corrected for {minutes} minutes after it is written; "
            "add a new step or a comment instead."
        )
    return session, step


def _fields(step: Step) -> dict[str, str | None]:
    return {"action": step.action, "result": step.result, "outcome": step.outcome}


async def edit_step(
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    edit: StepEdit,
    *,
    window: timedelta,
    secret_key: str | None = None,
) -> Step:
    session, step = await _own_step(uow, actor, session_id, step_id, window, "edit")
    before = _fields(step)
    given = edit.model_fields_set
    if "action" in given and edit.action is not None:
        step.action = (secrets.seal_marks(edit.action, secret_key) if secret_key else edit.action) or ""
    if "result" in given:
        result = (edit.result or "").strip() or None
        step.result = secrets.seal_marks(result, secret_key) if secret_key else result
    if "outcome" in given and edit.outcome is not None:
        step.outcome = edit.outcome
    if _fields(step) == before:
        return step  # nothing changed: no event
    step.edited_at = datetime.now(UTC)
    session.updated_at = step.edited_at
    await uow.flush()
    await step_event(uow, actor, session, step, "edited", before=before)
    await step_changed(uow, actor, session, step, "edited")
    return step


async def delete_step(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, step_id: uuid.UUID, *, window: timedelta
) -> None:
    session, step = await _own_step(uow, actor, session_id, step_id, window, "delete")
    replied = await uow.scalar(select(exists().where(SessionComment.step_id == step.id)))
    if replied:
        raise Conflict("Someone has replied to this step, so it can be edited but not deleted.")
    before = _fields(step)
    await step_changed(uow, actor, session, step, "deleted")
    await uow.delete(step)
    session.updated_at = datetime.now(UTC)
    await uow.flush()
    await step_event(uow, actor, session, step, "deleted", before=before)
