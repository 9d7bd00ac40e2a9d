"""The summary job: every escalation's summary reaches `ready`, with at most one model call.

The job is the handoff row itself: `summary_state` commits as `pending` with the escalation
(invariant 2), and this queue finds due rows across accounts through `relaydesk_due_summaries()`
(SECURITY DEFINER: the app role is bound to one account per transaction), then locks each one inside
its own account with FOR UPDATE SKIP LOCKED.

Stages, each its own short transaction:

1. pending → the offline summary, redacted (invariant 7). With no model configured it is final
   (`ready`). Otherwise it is stored as `draft`, and the same commit takes a lease on the job and marks
   the model call as started (`summary_jobs.model_call_started_at`), before any request leaves.
2. The model call, with no transaction open, bounded by the deadline (llm.assess: at most one retry).
3. The refined summary, or the draft with `fallback_reason`, is stored as `ready`; the run is recorded.

Each stored stage appends `summary.ready` (payload `stage`: draft or ready).

A worker that dies between 1 and 3 leaves a draft whose lease runs out (deadline + margin). The next
worker finishes it with the draft and the reason "the worker stopped during the model call" instead of
calling again: a call may already have been made and billed, and invariant 5 allows one. A worker that
is stopped (cancelled) writes that fallback itself on the way out. A draft that never started a call
(all call slots were busy) is simply taken again.

Findings added while it waits (summaries/refresh.py) put a ready summary back to `pending` behind a
short lease (`RELAYDESK_SUMMARY_REFRESH_SECONDS`, so a burst of findings makes one refresh). A refresh
after the escalation's model call is made by the offline engine and is final at once: the call was
the one call (invariant 5). A finding that arrives during the call is seen when the call finishes
(the story it was given differs from the story now) and asks for the same offline refresh.

Model calls run as tasks beside the loop, at most `max_calls` at once per process, so one slow
provider never holds up the next escalation's draft or other queues' jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select, text

from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.snapshot import HandoffSnapshot
from relaydesk.settings import Settings, get_settings
from relaydesk.summaries import llm, offline, prompts
from relaydesk.summaries import service as summaries
from relaydesk.summaries.llm import LlmConfig, LlmRun, load_providers
from relaydesk.summaries.material import handoff_material, suggested_before
from relaydesk.summaries.models import SummaryJob
from relaydesk.summaries.runs import record_run
from relaydesk.summaries.schemas import Summary, SummaryMaterial, Usage

log = logging.getLogger(__name__)

# After this many failed attempts at the offline draft (a bug, bad data), the handoff gets a
# minimal summary that says so, rather than staying pending forever (invariant 4).
MAX_ATTEMPTS = 3
RETRY_AFTER_SECONDS = 5.0
DUE_BATCH = 20
# A lease outlives the deadline by this much: connection teardown, the final write, a busy machine.
LEASE_MARGIN_SECONDS = 15.0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Call:
    handoff_id: uuid.UUID
    account_id: uuid.UUID
    material: SummaryMaterial
    draft: Summary
    story: str  # the snapshot's steps the call was given (a finding meanwhile asks for a refresh)


def _story(handoff: Handoff) -> str:
    steps = HandoffSnapshot.read(handoff.snapshot).steps
    return json.dumps([s.model_dump(mode="json") for s in steps], sort_keys=True)


class SummaryQueue:
    """The `summaries` worker queue (see worker.Queue)."""

    name = "summaries"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        config: LlmConfig | Literal["settings"] | None = "settings",
        max_calls: int | None = None,
        lease_margin_seconds: float = LEASE_MARGIN_SECONDS,
    ) -> None:
        settings = settings or get_settings()
        # "settings" (the default): the configured model, if any; None: offline only.
        self.config = LlmConfig.from_settings(settings) if config == "settings" else config
        if self.config is not None:
            load_providers()  # now, at start, rather than on the event loop of the first call
        self.max_calls = max_calls or settings.summary_model_calls
        self.lease_margin = lease_margin_seconds
        self.refresh_seconds = settings.summary_refresh_seconds
        self.calls: set[asyncio.Task[None]] = set()
        self._backlog = False

    # --- the loop's entry point ------------------------------------------------------------------

    async def run_once(self, db: Database) -> bool:
        slot_free = self._call_slot_free()
        # Drafts are due only when one can be finished: a call slot is free, or there is no model.
        drafts = slot_free or self.config is None
        async with db.uow() as uow:
            due = await uow.rows(
                text(
                    "SELECT handoff_id, account_id, summary_state FROM relaydesk_due_summaries(:n, :drafts)"
                ),
                {"n": DUE_BATCH, "drafts": drafts},
            )
        if not drafts:
            self._backlog = True  # drafts waiting for a call slot are taken again when a call finishes
        for handoff_id, account_id, _ in due:
            if await self._take(db, handoff_id, account_id):
                return True
        return False

    async def idle(self) -> None:
        """Wait for the model calls under way (tests and benchmarks)."""
        while self.calls:
            await asyncio.gather(*list(self.calls), return_exceptions=True)

    # --- stages 1 and recovery ------------------------------------------------------------------

    def _call_slot_free(self) -> bool:
        return self.config is not None and len(self.calls) < self.max_calls

    async def _take(self, db: Database, handoff_id: uuid.UUID, account_id: uuid.UUID) -> bool:
        call: _Call | None = None
        async with db.uow(account_id) as uow:
            handoff = await uow.scalar(
                select(Handoff)
                .where(Handoff.id == handoff_id, Handoff.summary_state != "ready")
                .with_for_update(skip_locked=True)
            )
            if handoff is None:
                return False  # another worker has it, or it is done
            job = await uow.get(SummaryJob, handoff_id, with_for_update=True)
            now = _now()
            if job is None:
                job = SummaryJob(handoff_id=handoff_id, account_id=account_id, attempts=0)
                uow.add(job)
            elif job.lease_until is not None and job.lease_until > now:
                return False
            if handoff.summary_state == "pending":
                call = await self._draft(uow, handoff, job, now)
            elif job.model_call_started_at is not None:
                # A worker died during (or just before) its model call: finish without a second call.
                draft = Summary.read(handoff.summary) or offline.summarize(
                    await handoff_material(uow, handoff), now=now
                )
                await summaries.save_summary(
                    uow,
                    handoff,
                    draft.model_copy(
                        update={
                            "state": "ready",
                            "fallback_reason": summaries.WORKER_STOPPED,
                            "updated_at": now,
                        }
                    ),
                )
                job.lease_until = None
            elif self.config is None:
                # Drafted while a model was configured, which it no longer is: the draft is final.
                draft = Summary.read(handoff.summary) or offline.summarize(
                    await handoff_material(uow, handoff), now=now
                )
                await summaries.save_summary(
                    uow, handoff, draft.model_copy(update={"state": "ready", "updated_at": now})
                )
            elif self._call_slot_free():
                material = await handoff_material(uow, handoff)
                draft = Summary.read(handoff.summary) or offline.summarize(material, now=now)
                call = _Call(handoff.id, account_id, material, draft, _story(handoff))
                self._lease(job, now)
            else:
                return False
        if call is not None:
            self._start_call(db, call)
        return True

    async def _draft(self, uow: UnitOfWork, handoff: Handoff, job: SummaryJob, now: datetime) -> _Call | None:
        job.attempts += 1
        try:
            # A savepoint: a failing draft rolls back alone and the attempt is still counted.
            async with uow.attempt():
                material = await handoff_material(uow, handoff)
                # a refresh after the one model call (invariant 5) is the offline engine's, final
                final = self.config is None or job.model_call_started_at is not None
                draft = offline.summarize(
                    material,
                    now=now,
                    state="ready" if final else "draft",
                    suggested_before=await suggested_before(uow, handoff.session_id),
                )
                await summaries.save_summary(uow, handoff, draft)
        except Exception as exc:
            log.exception("summary draft failed for handoff %s", handoff.id)
            job.last_error = f"{type(exc).__name__}: {exc}"[:500]
            # Not again at once: a passing fault (a restart of the database, say) gets time to clear.
            job.lease_until = now + timedelta(seconds=RETRY_AFTER_SECONDS * job.attempts)
            if job.attempts >= MAX_ATTEMPTS:
                await summaries.save_summary(
                    uow, handoff, summaries.failed_summary(handoff, job.last_error, now=now)
                )
            await uow.flush()
            return None
        if final or not self._call_slot_free():
            return None
        self._lease(job, now)
        return _Call(handoff.id, handoff.account_id, material, draft, _story(handoff))

    def _lease(self, job: SummaryJob, now: datetime) -> None:
        assert self.config is not None
        job.lease_until = now + timedelta(seconds=self.config.deadline_seconds + self.lease_margin)
        # Committed before the request leaves (module doc): a crash from here on means no second call.
        job.model_call_started_at = now

    # --- stages 2 and 3 --------------------------------------------------------------------------

    def _start_call(self, db: Database, call: _Call) -> None:
        task = asyncio.create_task(self._call(db, call), name=f"summary-model-call-{call.handoff_id}")
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)
        # Calls live beside the worker loop; when the loop stops, they stop too and write their fallback.
        loop_task = asyncio.current_task()
        if loop_task is not None:

            def stop_call(_: object) -> None:
                task.cancel()

            loop_task.add_done_callback(stop_call)
            task.add_done_callback(lambda _: loop_task.remove_done_callback(stop_call))

    async def _call(self, db: Database, call: _Call) -> None:
        assert self.config is not None
        started = asyncio.get_running_loop().time()
        try:
            run = await llm.assess(call.material, self.config)
        except asyncio.CancelledError:
            # Stopped mid-call: the request may have been answered and billed, so it is recorded, and
            # the draft stands (no second call, invariant 5).
            stopped = LlmRun(
                model=self.config.model,
                prompt_version=prompts.PROMPT_VERSION,
                input_text=prompts.render_material(call.material),
                raw_output=None,
                parsed=None,
                usage=Usage(),
                latency_ms=round((asyncio.get_running_loop().time() - started) * 1000),
                error=summaries.WORKER_STOPPED,
                attempts=1,
            )
            with contextlib.suppress(Exception):
                await asyncio.shield(self._finish(db, call, stopped))
            raise
        try:
            await self._finish(db, call, run)
        except Exception:
            # The lease runs out and the next worker finishes with the draft.
            log.exception("could not store the refined summary of handoff %s", call.handoff_id)

    async def _finish(self, db: Database, call: _Call, run: LlmRun) -> None:
        now = _now()
        async with db.uow(call.account_id) as uow:
            await record_run(
                uow,
                run,
                account_id=call.account_id,
                purpose="assessment",
                handoff_id=call.handoff_id,
                output=run.parsed.model_dump(mode="json") if run.parsed else None,
            )
            handoff = await uow.scalar(select(Handoff).where(Handoff.id == call.handoff_id).with_for_update())
            if handoff is not None and handoff.summary_state != "ready":
                final = summaries.refined(call.draft, run, now=now)
                if run.error == summaries.WORKER_STOPPED:
                    final = final.model_copy(update={"fallback_reason": summaries.WORKER_STOPPED})
                # Keep variants someone asked for meanwhile (they are keyed to the prose they came from).
                current = Summary.read(handoff.summary)
                if current is not None:
                    final = final.model_copy(
                        update={"variants": current.variants, "variant_info": current.variant_info}
                    )
                await summaries.save_summary(uow, handoff, final)
            job = await uow.get(SummaryJob, call.handoff_id, with_for_update=True)
            if job is not None:
                job.lease_until = None
                if handoff is not None and _story(handoff) != call.story:
                    # findings came in during the call: one offline refresh, after the quiet period
                    handoff.summary_state = "pending"
                    job.lease_until = now + timedelta(seconds=self.refresh_seconds)
                    await wake_workers(uow, self.name)
            if self._backlog:
                self._backlog = False
                await wake_workers(uow, self.name)
