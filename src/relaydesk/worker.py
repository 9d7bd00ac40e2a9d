"""The background worker: durable jobs are rows; this loop takes them with FOR UPDATE SKIP LOCKED.

Each kind of job (summaries, deliveries, reminders) is a `Queue` whose `run_once` takes at most
one unit of work and says whether it found any. The loop drains every queue, then sleeps until a
NOTIFY on JOBS_CHANNEL (db/notify.py; sent inside the transaction that created the work, so only on commit)
or the poll interval, whichever comes first. The poll also catches scheduled rows whose time
has come and work left by a worker that died.
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
from relaydesk.deliveries.jobs import DeliveryQueue, ReminderQueue
from relaydesk.settings import Settings, get_settings
from relaydesk.summaries.jobs import SummaryQueue

log = logging.getLogger(__name__)


class Queue(Protocol):
    name: str

    async def run_once(self, db: Database) -> bool:
        """Do at most one job; True when there was one (done or failed), False when idle."""
        ...


class Worker:
    def __init__(self, db: Database, queues: list[Queue], *, poll_seconds: float = 2.0) -> None:
        self.db = db
        self.queues = queues
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    async def drain(self) -> int:
        """Run every queue until all are idle; returns the number of jobs done."""
        done = 0
        busy = True
        while busy:
            busy = False
            for queue in self.queues:
                try:
                    if await queue.run_once(self.db):
                        busy = True
                        done += 1
                except Exception:  # one bad job must not stop the loop; the queue records its own errors
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
                log.warning("worker LISTEN connection lost (%s); reconnecting", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                await self.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                self._wake.clear()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener


def default_queues(settings: Settings | None = None) -> list[Queue]:
    """Every job kind the application has; domains register theirs here."""
    return [SummaryQueue(settings), DeliveryQueue(settings or get_settings()), ReminderQueue()]


@contextlib.asynccontextmanager
async def worker_in_app(app: FastAPI) -> AsyncIterator[Worker]:
    """Run the worker inside a serving process (the default; `relaydesk worker` runs it alone)."""
    worker = Worker(
        app.state.db, default_queues(app.state.settings), poll_seconds=app.state.settings.worker_poll_seconds
    )
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
