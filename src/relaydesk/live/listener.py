"""One LISTEN connection per process; it wakes the readers that feed the hub (invariant 6).

NOTIFY only says "account A has reached seq N". The event table is the source: for each account
with local subscribers, the listener reads `seq > cursor` in short transactions and publishes the
rows in order. One reader per account at a time keeps the order; notices that arrive while it reads
just make it read once more.

If the connection drops (a database restart, a killed backend, a dead network), it reconnects with
backoff and then reads every tracked account from its cursor, so nothing committed meanwhile is
lost, only late. While quiet it checks the connection every few seconds, and every `sweep` seconds
it reads all tracked accounts anyway, as a last guard against a notice that never came.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import psycopg
from fastapi import FastAPI

from relaydesk.db.uow import Database
from relaydesk.db.urls import libpq_url
from relaydesk.live import service
from relaydesk.live.hub import AccountFeed, Hub, LiveEvent
from relaydesk.metrics import observe_fanout_lag
from relaydesk.ops.outage import OUTAGE, is_connection_error

log = logging.getLogger(__name__)

APPLICATION_NAME = "relaydesk-live"


class Listener:
    def __init__(
        self,
        dsn: str,
        db: Database,
        hub: Hub,
        *,
        batch: int = 500,
        health_seconds: float = 5.0,
        sweep_seconds: float = 30.0,
        backoff: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.dsn = libpq_url(dsn)
        self.db = db
        self.hub = hub
        self.batch = batch
        self.health_seconds = health_seconds
        self.sweep_seconds = sweep_seconds
        self.backoff = backoff
        self.connected = False
        self.backend_pid: int | None = None
        self.connects = 0
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, *, wait: float = 10.0) -> None:
        self._task = asyncio.create_task(self._run(), name="relaydesk-live-listener")
        try:
            async with asyncio.timeout(wait):
                await self.listening.wait()
        except TimeoutError:
            log.warning("live: no LISTEN connection after %.0f s; still trying in the background", wait)

    async def stop(self) -> None:
        tasks = [self._task] if self._task else []
        for feed in self.hub.feeds.values():
            tasks += [t for t in (feed.drainer, feed.starting) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    # -- the connection ------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.dsn, autocommit=True, application_name=APPLICATION_NAME
                )
                async with conn:
                    await conn.execute(f"LISTEN {service.CHANNEL}")
                    self.connected, self.backend_pid = True, conn.info.backend_pid
                    self.connects += 1
                    self.listening.set()
                    failures = 0
                    if self.connects > 1:
                        log.info("live: LISTEN connection back; catching up %d accounts", len(self.hub.feeds))
                    # Whatever committed while nobody listened is read now, from each cursor.
                    self.wake_all()
                    await self._listen(conn)
            except Exception as exc:  # psycopg.Error, OSError: a restart, a killed backend, a network
                self.connected, self.backend_pid = False, None
                delay = min(self.backoff[0] * 2**failures, self.backoff[1])
                failures += 1
                if is_connection_error(exc):
                    OUTAGE.failed(exc)  # one line for the whole outage (ops/outage.py)
                else:
                    log.warning("live: LISTEN connection lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _listen(self, conn: psycopg.AsyncConnection) -> None:
        swept = time.monotonic()
        while True:
            async for note in conn.notifies(timeout=self.health_seconds):
                self._on_notice(note.payload)
            # A dead peer can look quiet: a round trip proves the connection is still there.
            await conn.execute("SELECT 1")
            if time.monotonic() - swept >= self.sweep_seconds:
                swept = time.monotonic()
                self.wake_all()

    def _on_notice(self, payload: str) -> None:
        account, _, seq = payload.partition(":")
        try:
            account_id, position = uuid.UUID(account), int(seq)
        except ValueError:
            log.warning("live: ignoring malformed notice %r", payload)
            return
        feed = self.hub.feeds.get(account_id)
        if feed is not None and (feed.cursor is None or position > feed.cursor):
            self.wake(feed)

    # -- reading an account --------------------------------------------------------------------

    async def track(self, account_id: uuid.UUID) -> None:
        """Make sure this process follows the account; call after subscribing to it.

        A new feed starts at the account's position read now, after the subscription exists:
        later events are published to it, earlier ones are the subscriber's replay."""
        feed = self.hub.feeds.get(account_id)
        if feed is None or feed.cursor is not None:
            return
        if feed.starting is None:
            feed.starting = asyncio.create_task(self._start_feed(feed))
        await asyncio.shield(feed.starting)

    async def _start_feed(self, feed: AccountFeed) -> None:
        try:
            async with self.db.uow(feed.account_id) as uow:
                position = await service.last_seq(uow, feed.account_id)
            if feed.cursor is None:
                feed.cursor = position
        finally:
            feed.starting = None
        # Notices that came while the position was unknown were not acted on: read once now.
        self.wake(feed)

    def wake_all(self) -> None:
        for feed in list(self.hub.feeds.values()):
            self.wake(feed)

    def wake(self, feed: AccountFeed) -> None:
        if feed.cursor is None or not self.hub.current(feed):
            return
        feed.dirty = True
        if feed.drainer is None:
            feed.drainer = asyncio.create_task(self._drain(feed))

    async def _drain(self, feed: AccountFeed) -> None:
        delay = self.backoff[0]
        try:
            while feed.dirty and self.hub.current(feed):
                feed.dirty = False
                after = feed.cursor
                assert after is not None
                try:
                    # A short transaction per batch: no connection is held between notices.
                    async with self.db.uow(feed.account_id) as uow:
                        rows = await service.events_after(uow, feed.account_id, after, limit=self.batch)
                except Exception as exc:  # a restarting database, a broken pooled connection
                    log.warning("live: reading events of %s failed (%s); retrying", feed.account_id, exc)
                    feed.dirty = True
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff[1])
                    continue
                delay = self.backoff[0]
                if rows:
                    self.hub.publish(feed, [LiveEvent.from_row(e) for e in rows])
                    now = datetime.now(UTC)
                    for row in rows:
                        observe_fanout_lag((now - row.created_at).total_seconds())
                    if len(rows) == self.batch:
                        feed.dirty = True
        finally:
            feed.drainer = None


@contextlib.asynccontextmanager
async def live_feed(app: FastAPI) -> AsyncIterator[Listener]:
    """The hub and the listener of one serving process, on app.state for the stream route."""
    settings = app.state.settings
    assert settings.database_url
    hub = Hub(queue_size=settings.live_queue_size)
    # Reconnect at least every second: a restarted database is followed again at once.
    listener = Listener(settings.database_url, app.state.db, hub, backoff=(0.1, 1.0))
    app.state.live_hub, app.state.live_listener = hub, listener
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()
