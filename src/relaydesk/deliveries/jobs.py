"""The worker's delivery queue: send outbound messages, with retries.

A delivery goes through three short transactions and never holds one across the network:

1. claim: take due rows with FOR UPDATE SKIP LOCKED, mark them `sending` with a lease
   (`next_attempt_at` = now + lease), count the attempt, commit;
2. send, with no transaction open;
3. record: `sent`, or `failed` with exponential backoff and jitter (Retry-After wins), or
   `dead` when the failure is permanent or the attempts are used up — only if the row is still
   the one we claimed (same attempt number).

A worker killed between 2 and 3 leaves a `sending` row; when its lease runs out another worker
takes it again. What the far side then sees: a PSA gets no second note (the retry looks for the
marker written into the first, `add_note_once`); a webhook receiver gets the same `webhook-id`
and dedupes; an email goes again with the same Message-ID (many mail systems drop the copy, not
all); Slack and Teams cannot tell, so a chat post may show twice. That is at-least-once, and
only after a crash in that window.

Email narrows that window. Just before DATA the attempt commits `data_attempt` (its number):
before that point the SMTP server cannot have the message, so a retry of an attempt that never
got there is certainly not a duplicate. A lease that ran out on a row whose `data_attempt` is the
attempt in flight is *uncertain*: the server may have accepted it while nobody recorded the reply.
We resend it, with the same Message-ID so receiving systems that keep them can drop the copy, and
count it (relaydesk_delivery_uncertain_resends): SMTP has no way to ask a server whether it has a
message, and for an escalation a late duplicate beats a lost alert.

Stopping (SIGTERM): a send that is under way finishes within the worker's grace period and is
recorded. Cancelled after that, it gives its lease back (`pending`, due now, another worker is
woken), except an email past DATA: that one is waited for (the SMTP timeout bounds it), because
cancelling it is exactly what would make it uncertain.

The send step itself (one message out on its channel) is sending.py; the reminder queue is
reminder_queue.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, text, update

from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.deliveries import service as deliveries
from relaydesk.deliveries import sources
from relaydesk.deliveries.models import DUE_STATUSES, Delivery
from relaydesk.deliveries.sending import ChannelSender, Job
from relaydesk.integrations import service as integrations
from relaydesk.integrations.models import Integration
from relaydesk.integrations.schemas import KIND_LABELS
from relaydesk.live.service import append_event
from relaydesk.metrics import count_lease_released, count_uncertain_resend
from relaydesk.outbound import outbound_client
from relaydesk.outbound.outcome import DeliveryFailed, Sent
from relaydesk.settings import Settings

log = logging.getLogger(__name__)

SUMMARY_POLL_SECONDS = 2.0  # how often a PSA note waiting for its summary looks again


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryQueue:
    name = "deliveries"

    def __init__(self, settings: Settings, *, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        # A send never outlives its lease, or a live sender and a retry could overlap.
        self.deadline = settings.delivery_lease_seconds * 0.8
        self._secret_key = settings.resolved_secret_key()
        self._http = http
        self.sender = ChannelSender(settings, self._client)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = outbound_client(
                self.settings.outbound_allow_hosts,
                timeout=self.settings.delivery_timeout_seconds,
                limits=httpx.Limits(max_connections=max(20, self.settings.delivery_batch)),
            )
        return self._http

    async def run_once(self, db: Database) -> bool:
        jobs = await self.claim(db)
        if not jobs:
            return False
        # Sends run side by side; their records share the pool's steady connections. More at once
        # would open and close overflow connections for every record (a PostgreSQL backend each).
        slots = asyncio.Semaphore(max(1, db.engine.pool.size()))  # type: ignore[attr-defined]
        await asyncio.gather(*(self.deliver(db, job, slots) for job in jobs))
        return True

    # -- 1. claim -------------------------------------------------------------------------------

    async def claim(self, db: Database) -> list[Job]:
        batch = self.settings.delivery_batch
        async with db.uow() as uow:
            # Across accounts through the SECURITY DEFINER function: only ids come back, and each
            # account's rows are then claimed in a transaction scoped to that account (invariant 1).
            due = await uow.rows(
                text("SELECT delivery_id, account_id FROM relaydesk_due_deliveries(:n)"), {"n": batch * 2}
            )
        by_account: dict[uuid.UUID, list[uuid.UUID]] = {}
        for delivery_id, account_id in due:
            by_account.setdefault(account_id, []).append(delivery_id)
        jobs: list[Job] = []
        for account_id, ids in by_account.items():
            if len(jobs) >= batch:
                break
            async with db.uow(account_id) as uow:
                jobs += await self._claim_in(uow, ids, batch - len(jobs))
        return jobs

    async def _claim_in(self, uow: UnitOfWork, ids: list[uuid.UUID], room: int) -> list[Job]:
        rows = list(
            await uow.all(
                select(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.status.in_(DUE_STATUSES),
                    Delivery.next_attempt_at <= func.now(),
                )
                .order_by(Delivery.next_attempt_at)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
        )
        wanted = {row.integration_id for row in rows if row.integration_id}
        linked = {
            i.id: i
            for i in (await uow.all(select(Integration).where(Integration.id.in_(wanted))) if wanted else [])
        }
        summaries: dict[uuid.UUID, sources.SummaryView | None] = {}
        opened: dict[uuid.UUID, dict[str, str]] = {}
        now = _now()
        jobs = []
        for row in rows:
            limit = row.max_attempts or self.settings.delivery_max_attempts
            if row.status == "sending" and row.attempts >= limit:
                await self._dead(
                    uow, row, "The worker stopped while sending (its lease ran out) and no attempts are left"
                )
                continue
            if row.status == "sending" and row.data_attempt == row.attempts:
                count_uncertain_resend(row.channel)
                log.warning(
                    "delivery %s: attempt %d reached DATA and was never recorded; resending with the "
                    "same Message-ID",
                    row.id,
                    row.attempts,
                )
            integration = linked.get(row.integration_id) if row.integration_id else None
            secrets: dict[str, str] = {}
            if row.channel != "email":
                if integration is None:
                    await self._dead(uow, row, "The integration was removed before this could be sent")
                    continue
                if not integration.enabled:
                    label = KIND_LABELS.get(integration.kind, integration.kind)
                    await self._dead(uow, row, f"The {label} integration '{integration.name}' is turned off")
                    continue
                try:
                    if integration.id not in opened:
                        opened[integration.id] = integrations.open_secrets(self._secret_key, integration)
                    secrets = opened[integration.id]
                except ValueError as exc:
                    await self._dead(uow, row, str(exc))
                    continue
            summary = None
            if row.handoff_id and row.channel != "email" and row.event in ("escalation", "unclaimed"):
                if row.handoff_id not in summaries:
                    summaries[row.handoff_id] = await sources.handoff_summary(uow, row.handoff_id)
                summary = summaries[row.handoff_id]
                if row.channel == "psa_note" and row.attempts == 0 and not (summary and summary.ready):
                    # The PSA note is the record, read later: it waits (bounded) for the summary.
                    # Chat and email never wait: seniors hear at once.
                    wait_until = row.created_at + timedelta(seconds=self.settings.psa_summary_wait_seconds)
                    if now < wait_until:
                        row.next_attempt_at = min(wait_until, now + timedelta(seconds=SUMMARY_POLL_SECONDS))
                        continue
            row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now
            row.next_attempt_at = now + self.lease
            jobs.append(
                Job(
                    id=row.id,
                    account_id=row.account_id,
                    channel=row.channel,
                    event=row.event,
                    target=row.target,
                    key=row.idempotency_key,
                    payload=dict(row.payload),
                    attempt=row.attempts,
                    max_attempts=limit,
                    handoff_id=row.handoff_id,
                    session_id=row.session_id,
                    integration_id=row.integration_id,
                    integration_kind=integration.kind if integration else None,
                    integration_version=integration.updated_at if integration else None,
                    config=dict(integration.config) if integration else {},
                    secrets=secrets,
                    summary=summary,
                )
            )
        await uow.flush()
        return jobs

    async def _dead(self, uow: UnitOfWork, row: Delivery, reason: str) -> None:
        row.status, row.last_error, row.updated_at = "dead", reason, _now()
        await _announce_dead(
            uow,
            account_id=row.account_id,
            delivery_id=row.id,
            session_id=row.session_id,
            handoff_id=row.handoff_id,
            channel=row.channel,
            target=row.target,
        )

    # -- 2. send --------------------------------------------------------------------------------

    async def deliver(self, db: Database, job: Job, slots: asyncio.Semaphore | None = None) -> None:
        handed_over = asyncio.Event()  # set once an email reached DATA (module docstring)
        send = asyncio.ensure_future(self._attempt(db, job, handed_over))
        try:
            sent, failure, extra = await asyncio.shield(send)
        except asyncio.CancelledError:
            if not handed_over.is_set():
                send.cancel()
                await asyncio.gather(send, return_exceptions=True)
                await asyncio.shield(self._release(db, job))
                raise
            # Past DATA: let it finish and record what the server said, then stop.
            log.info("delivery %s: the SMTP server has the message; waiting for its reply", job.id)
            sent, failure, extra = await send
            await asyncio.shield(self._record(db, job, sent, failure, extra))
            raise
        async with slots or contextlib.nullcontext():
            # Shielded: a send that completed is recorded even when the worker is stopping.
            await asyncio.shield(self._record(db, job, sent, failure, extra))

    async def _attempt(
        self, db: Database, job: Job, handed_over: asyncio.Event
    ) -> tuple[Sent | None, DeliveryFailed | None, dict[str, Any]]:
        try:

            async def before_data() -> None:
                await self._mark_data(db, job)
                handed_over.set()

            sent, extra = await asyncio.wait_for(self.sender.send(job, before_data), self.deadline)
            return sent, None, extra
        except DeliveryFailed as exc:
            return None, exc, {}
        except TimeoutError:
            failure = DeliveryFailed(
                f"Sending did not finish within {self.deadline:g} s and was stopped", retryable=True
            )
            return None, failure, {}
        except Exception as exc:  # a bug or a surprise in one delivery must not stop the others
            log.exception("delivery %s failed unexpectedly", job.id)
            return (
                None,
                DeliveryFailed(f"Unexpected error while sending: {type(exc).__name__}", retryable=True),
                {},
            )

    async def _mark_data(self, db: Database, job: Job) -> None:
        async with db.uow(job.account_id) as uow:
            await uow.result(
                update(Delivery)
                .where(Delivery.id == job.id, Delivery.status == "sending", Delivery.attempts == job.attempt)
                .values(data_attempt=job.attempt)
            )

    async def _release(self, db: Database, job: Job) -> None:
        """Give the lease back at shutdown: due now, and another worker is woken to take it."""
        try:
            async with db.uow(job.account_id) as uow:
                released = await uow.scalar(
                    update(Delivery)
                    .where(
                        Delivery.id == job.id, Delivery.status == "sending", Delivery.attempts == job.attempt
                    )
                    .values(
                        status="pending",
                        next_attempt_at=func.now(),
                        updated_at=_now(),
                        last_error="The worker stopped before this was sent; another worker takes it",
                    )
                    .returning(Delivery.id)
                )
                if released is not None:
                    await deliveries.wake_delivery_workers(uow)
        except Exception as exc:  # the lease still runs out: late, not lost
            log.warning("delivery %s: could not give back its lease (%s)", job.id, exc)
            return
        if released is not None:
            count_lease_released(self.name)

    # -- 3. record ------------------------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        ceiling = self.settings.delivery_backoff_max_seconds
        if retry_after is not None:
            return min(max(retry_after, 0.5), ceiling)
        backoff = min(ceiling, self.settings.delivery_backoff_seconds * 2 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so retries of many rows spread out but
        # none comes back sooner than half the schedule.
        return backoff / 2 + random.uniform(0, backoff / 2)

    async def _record(
        self,
        db: Database,
        job: Job,
        sent: Sent | None,
        failure: DeliveryFailed | None,
        extra: dict[str, Any],
    ) -> None:
        now = _now()
        values: dict[str, Any] = {"updated_at": now}
        dead_reason = None
        if sent is not None:
            values |= {"status": "sent", "sent_at": now, "external_id": sent.external_id, "last_error": None}
            if extra:
                values["payload"] = {**job.payload, **extra}  # what the message said, e.g. with the cause
        else:
            assert failure is not None
            if not failure.retryable or job.attempt >= job.max_attempts:
                dead_reason = failure.message
                if failure.retryable:
                    dead_reason += f" (gave up after {job.attempt} attempt{'s' if job.attempt > 1 else ''})"
                values |= {"status": "dead", "last_error": dead_reason}
            else:
                delay = timedelta(seconds=self._delay(job.attempt, failure.retry_after))
                values |= {"status": "failed", "last_error": failure.message, "next_attempt_at": now + delay}
        async with db.uow(job.account_id) as uow:
            # Only if the row is still the one we claimed: one conditional UPDATE.
            recorded = await uow.scalar(
                update(Delivery)
                .where(Delivery.id == job.id, Delivery.status == "sending", Delivery.attempts == job.attempt)
                .values(**values)
                .returning(Delivery.id)
            )
            if recorded is None:
                # Our lease ran out and another worker took the row: its attempt is the one that counts.
                log.info("delivery %s was taken over after its lease ran out", job.id)
                return
            if dead_reason is not None:
                await _announce_dead(
                    uow,
                    account_id=job.account_id,
                    delivery_id=job.id,
                    session_id=job.session_id,
                    handoff_id=job.handoff_id,
                    channel=job.channel,
                    target=job.target,
                )
            elif failure is not None and failure.status == 429 and job.integration_id is not None:
                # The vendor throttles the whole webhook, not this one message: hold its queue too.
                await uow.result(
                    update(Delivery)
                    .where(
                        Delivery.integration_id == job.integration_id,
                        Delivery.status.in_(("pending", "failed")),
                        Delivery.next_attempt_at < values["next_attempt_at"],
                    )
                    .values(next_attempt_at=values["next_attempt_at"])
                )


async def _announce_dead(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    delivery_id: uuid.UUID,
    session_id: uuid.UUID | None,
    handoff_id: uuid.UUID | None,
    channel: str,
    target: str,
) -> None:
    """A delivery that gave up is an event, so open session screens can show it. The reason stays
    on the delivery row, where only admins and owners read it in full; events reach engineers."""
    await append_event(
        uow,
        account_id=account_id,
        type="delivery.dead",
        session_id=session_id,
        handoff_id=handoff_id,
        payload={"delivery_id": delivery_id, "channel": channel, "target": target},
    )
