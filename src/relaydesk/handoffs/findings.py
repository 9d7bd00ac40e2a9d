"""An escalation's story kept in step with the session while it is handed over.

The snapshot is the story as it reached the queue. Two things change it afterwards, and the pickup
screen (and the claimer's Context dialog) shows them live:

- a finding: a step the escalator adds while it waits (escalated, nobody has picked it up yet) is
  appended, marked as added after the escalation; the queue row's step count follows;
- a correction: a step its author edits or deletes within the window changes the story too, while
  the escalation is open or claimed. The story shows the corrected text; what it said before is in
  the audit trail (`step.edited` / `step.deleted` with before and after).

Steps added after the claim are the claimer's work, on the workspace timeline, not the story.
"""

from __future__ import annotations

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs import policy
from relaydesk.handoffs.snapshot import HandoffSnapshot, SnapshotStep
from relaydesk.sessions.hooks import StepChange
from relaydesk.sessions.models import Session, Step


async def keep_story(uow: UnitOfWork, actor: Actor, session: Session, step: Step, change: StepChange) -> None:
    """The sessions step hook (sessions/hooks.py), registered by app.py."""
    handoff = await policy.latest_escalation(uow, session.id)
    if handoff is None or handoff.status not in ("open", "claimed"):
        return
    snap = HandoffSnapshot.read(handoff.snapshot)
    if change == "added":
        if handoff.status != "open":
            return
        snap.steps.append(
            SnapshotStep(
                id=step.id,
                action=step.action,
                result=step.result,
                outcome=step.outcome,  # type: ignore[arg-type]
                is_note=step.is_note,
                author_id=step.author_id,
                author=actor.name,
                at=step.created_at,
                added_after_escalation=True,
            )
        )
    else:
        index = next((n for n, s in enumerate(snap.steps) if s.id == step.id), None)
        if index is None:
            return
        if change == "deleted":
            del snap.steps[index]
        else:
            snap.steps[index] = snap.steps[index].model_copy(
                update={
                    "action": step.action,
                    "result": step.result,
                    "outcome": step.outcome,
                    "is_note": step.is_note,
                    "edited_at": step.edited_at,
                }
            )
    handoff.snapshot = snap.stored()
    await uow.flush()
