"""The background worker: durable jobs are rows; this loop takes them with FOR UPDATE SKIP LOCKED.

Each kind of job (summaries, deliveries, reminders) is a `Queue` whose `run_once` takes at most
one unit of work and says whether it found any. The loop drains every queue, then sleeps until a
NOTIFY on JOBS_CHANNEL (db/notify.py; sent inside the transaction that created the work, so only on commit)
or the poll interval, whichever comes first. The poll also catches scheduled rows whose time
has come and work left by a worker that died.

Stopping (SIGTERM or SIGINT, `Worker.run_until`): the loop takes no new job; the jobs under way get
`grace_seconds` to finish and be recorded. What is still running then is cancelled: a model call
records its run and the draft stands with the reason (summaries/jobs.py), a delivery gives its lease
back at once so another worker resumes it now, not when the lease runs out (deliveries/jobs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import psycopg
from fastapi import FastAPI

from relaydesk.db.notify import JOBS_CHANNEL
from relaydesk.db.uow import Database
from relaydesk.db.urls import libpq_url
from relaydesk.deliveries.email_switch import EMAIL_ON
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.deliveries.reminder_queue import ReminderQueue
from relaydesk.imports.jobs import PsaImportQueue
from relaydesk.ops.outage import OUTAGE, is_connection_error
from relaydesk.settings import Settings, get_settings
from relaydesk.summaries.jobs import SummaryQueue

log = logging.getLogger(__name__)


class Queue(Protocol):
    name: str

    async def run_once(self, db: Database) -> bool:
        """Do at most one job; True when there was one (done or failed), False when idle."""
        ...


async def _settle(queue: Queue) -> None:
    """Wait for work a queue runs beside the loop (model calls), if it has any."""
    idle = getattr(queue, "idle", None)
    if idle is not None:
        await idle()


class Worker:
    def __init__(
        self, db: Database, queues: list[Queue], *, poll_seconds: float = 2.0, grace_seconds: float = 20.0
    ) -> None:
        self.db = db
        self.queues = queues
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Take no new job from now on; `run` returns once the jobs under way are done."""
        self._stopping.set()
        self._wake.set()

    async def drain(self) -> int:
        """Run every queue until all are idle; returns the number of jobs done."""
        done = 0
        busy = True
        while busy and not self.stopping:
            busy = False
            for queue in self.queues:
                if self.stopping:
                    break
                try:
                    if await queue.run_once(self.db):
                        busy = True
                        done += 1
                    OUTAGE.recovered()
                except (
                    Exception
                ) as exc:  # one bad job must not stop the loop; the queue records its own errors
                    if is_connection_error(exc):
                        OUTAGE.failed(exc)  # one line per outage, not a traceback per poll
                        return done
                    log.exception("worker queue %s failed", queue.name)
        return done

    async def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                url = libpq_url(self.db.url.replace("postgresql+psycopg", "postgresql"))
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {JOBS_CHANNEL}")
                    backoff = 0.5
                    self._wake.set()  # catch up on anything committed while we were not listening
                    async for _ in conn.notifies():
                        self._wake.set()
            except (psycopg.Error, OSError) as exc:
                if is_connection_error(exc):
                    OUTAGE.failed(exc)  # logged once for the whole outage
                else:
                    log.warning("worker LISTEN connection lost (%s); reconnecting", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2)

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while not self.stopping:
                await self.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                self._wake.clear()
            for queue in self.queues:
                await _settle(queue)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def run_until(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then stop gracefully: see the module docstring."""
        loop = asyncio.create_task(self.run(), name="relaydesk-worker")
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({loop, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if loop.done():
            loop.result()
            return
        await self.shutdown(loop)

    async def shutdown(self, loop: asyncio.Task[None]) -> None:
        self.stop()
        log.info("worker stopping: jobs under way get %g s to finish", self.grace_seconds)
        try:
            await asyncio.wait_for(asyncio.shield(loop), self.grace_seconds)
            log.info("worker stopped: every job under way finished")
        except TimeoutError:
            log.warning("worker: grace period over; stopping what is left and giving back its leases")
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop


def default_queues(settings: Settings | None = None) -> list[Queue]:
    """Every job kind the application has; domains register theirs here."""
    return [
        SummaryQueue(settings),
        DeliveryQueue(settings or get_settings()),
        ReminderQueue(),
        PsaImportQueue(settings),
    ]


@contextlib.asynccontextmanager
async def worker_in_app(app: FastAPI) -> AsyncIterator[Worker]:
    """Run the worker inside a serving process (the default; `relaydesk worker` runs it alone)."""
    settings = app.state.settings
    worker = Worker(
        app.state.db,
        default_queues(settings),
        poll_seconds=settings.worker_poll_seconds,
        grace_seconds=settings.shutdown_grace_seconds,
    )
    # The loop's task copies the context here: reminders it fires make email only with SMTP set up.
    switch = EMAIL_ON.set(bool(settings.smtp_url))
    task = asyncio.create_task(worker.run(), name="relaydesk-worker")
    EMAIL_ON.reset(switch)
    try:
        yield worker
    finally:
        if task.done():
            task.result()
        else:
            await worker.shutdown(task)
