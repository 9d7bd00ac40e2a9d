"""The draft assessment refreshed after a finding (see the jobs module docstring for the rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from relaydesk.accounts.actor import Actor
from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import UnitOfWork
from relaydesk.handoffs import policy
from relaydesk.sessions.hooks import StepChange, StepHook
from relaydesk.sessions.models import Session, Step
from relaydesk.summaries.models import SummaryJob


def refresher(quiet_seconds: float) -> StepHook:
    """The hook, with the quiet period of the app's settings."""

    async def hook(uow: UnitOfWork, actor: Actor, session: Session, step: Step, change: StepChange) -> None:
        await refresh_after_finding(uow, session, quiet_seconds=quiet_seconds)

    return hook


async def refresh_after_finding(uow: UnitOfWork, session: Session, *, quiet_seconds: float) -> None:
    """The sessions step hook (sessions/hooks.py), registered by app.py, after handoffs' story hook.
    While an escalation waits, its summary is made again from the story as it is now: once the
    findings stop for RELAYDESK_SUMMARY_REFRESH_SECONDS. A summary still pending needs nothing (its
    draft reads the story when it is made); one in `draft` has a model call under way or waiting for
    a slot, which reads the story when it starts or asks for the refresh when it ends (jobs.py)."""
    handoff = await policy.latest_escalation(uow, session.id)
    if handoff is None or handoff.status != "open" or handoff.summary is None:
        return
    if handoff.summary_state not in ("ready", "pending"):
        return
    job = await uow.get(SummaryJob, handoff.id, with_for_update=True)
    if job is None:
        job = SummaryJob(handoff_id=handoff.id, account_id=handoff.account_id, attempts=0)
        uow.add(job)
    handoff.summary_state = "pending"
    job.lease_until = datetime.now(UTC) + timedelta(seconds=quiet_seconds)
    await uow.flush()
    await wake_workers(uow, "summaries")
