"""One subscriber's Server-Sent Events stream: replay after the client's id, then live events.

The seam has no gap and no duplicate: the subscription is registered with the hub *before* the
replay reads the table, so every event after the feed's cursor at that moment reaches the queue,
and every event up to it was committed before the replay began. The replay runs in short
transactions (one per batch) and records the last seq it covered; queued events at or below it
are dropped.

Why our own StreamingResponse, not sse-starlette or FastAPI's yield-based EventSourceResponse: we need
little of them (headers, a ping, a send timeout: a dozen lines here) and things they do not give
us: frames encoded once per event and shared by every subscriber, a ping that also advances the
client's id past events it may not see, the cut after a queue overflow, and a route that *returns*
the response, so the actor's function-scoped transaction ends before the body streams (a `yield`
endpoint would keep it open for the stream's life). One dependency fewer, nothing to work around.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.responses import StreamingResponse
from starlette.types import Message, Send

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database
from relaydesk.live import service
from relaydesk.live.hub import CLOSE, RESET, Hub, LiveEvent, frame
from relaydesk.live.listener import Listener
from relaydesk.live.models import Event
from relaydesk.metrics import subscriber_closed, subscriber_opened
from relaydesk.settings import Settings

log = logging.getLogger(__name__)

REPLAY_BATCH = 500
# Further behind than this, a refetch is cheaper for everyone than a replay.
REPLAY_MAX = 5000
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class StreamConfig:
    heartbeat: float
    retry_ms: int
    retention: timedelta
    send_timeout: float
    max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamConfig:
        return cls(
            heartbeat=settings.live_heartbeat_seconds,
            retry_ms=settings.live_retry_ms,
            retention=timedelta(hours=settings.event_retention_hours),
            send_timeout=settings.live_send_timeout_seconds,
            max_seconds=settings.live_stream_max_seconds,
        )


class EventStreamResponse(StreamingResponse):
    """text/event-stream that gives up on a client that stops reading, instead of waiting forever."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[bytes], *, send_timeout: float) -> None:
        super().__init__(content, headers=HEADERS)
        self.send_timeout = send_timeout

    async def stream_response(self, send: Send) -> None:
        async def send_or_give_up(message: Message) -> None:
            async with asyncio.timeout(self.send_timeout):
                await send(message)

        try:
            await super().stream_response(send_or_give_up)
        except TimeoutError:
            log.warning("live: a subscriber stopped reading for %.0f s; cutting it", self.send_timeout)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()  # unsubscribe now, not whenever the generator is collected


def closing_frame(retry_ms: int) -> bytes:
    """This process is stopping: reconnect (to another replica) after `retry_ms`, from the last id."""
    return f": server stopping\nretry: {retry_ms}\n\n".encode()


def reset_frame(seq: int, reason: str) -> bytes:
    """Tell the client to refetch its state, then continue after `seq` (its new Last-Event-ID)."""
    lines = f"id: {seq}\nevent: reset\n"
    return (lines + f'data: {{"reason":"{reason}","seq":{seq}}}\n\n').encode()


def _refusal(after: int, rows: list[Event], latest: int, retention: timedelta) -> str | None:
    """Why the history after `after` cannot be replayed whole, if it cannot."""
    if after > latest:
        return "unknown_id"  # the client saw positions this database never had (restored, reset)
    if after == latest:
        return None
    if latest - after > REPLAY_MAX:
        return "too_far_behind"
    if not rows or rows[0].seq != after + 1:
        return "gap"
    if rows[0].created_at < datetime.now(UTC) - retention:
        return "expired"
    return None


async def event_stream(
    *, db: Database, hub: Hub, listener: Listener, actor: Actor, after: int | None, config: StreamConfig
) -> AsyncIterator[bytes]:
    account_id = actor.account_id
    sub = hub.subscribe(account_id, actor.user_id, actor.role)
    subscriber_opened()
    loop = asyncio.get_running_loop()
    try:
        yield f": relaydesk live\nretry: {config.retry_ms}\n\n".encode()
        if hub.closing:
            yield closing_frame(config.retry_ms)
            return
        await listener.track(account_id)
        replay = after is not None
        if after is None:  # no position: live from now on
            async with db.uow(account_id) as uow:
                after = await service.last_seq(uow, account_id)
        # From here on nothing is missed: `ready` says so, and who the page's user is.
        hello = {"user_id": str(actor.user_id), "role": actor.role, "seq": after}
        yield frame(event="ready", data=hello)

        # -- replay: everything after the client's id ------------------------------------------------
        sent = after
        if replay:
            first = True
            while True:
                async with db.uow(account_id) as uow:
                    # The newest position first: each statement sees what committed before it, so
                    # the rows read next include every event up to `latest` (and perhaps more).
                    latest = await service.last_seq(uow, account_id) if first else 0
                    rows = await service.events_after(uow, account_id, sent, limit=REPLAY_BATCH)
                if first:
                    reason = _refusal(after, rows, latest, config.retention)
                    if reason:
                        yield reset_frame(latest, reason)
                        return
                    first = False
                chunk = []
                for row in rows:
                    if row.seq != sent + 1:  # rows were removed: the history is not complete
                        yield reset_frame(rows[-1].seq, "gap")
                        return
                    sent = row.seq
                    event = LiveEvent.from_row(row)
                    if event.audience.admits(sub.user_id, sub.rank):
                        chunk.append(event.frame)
                if chunk:
                    yield b"".join(chunk)
                if len(rows) < REPLAY_BATCH:
                    break

        # -- live -----------------------------------------------------------------------------------
        ends = loop.time() + config.max_seconds
        ping_at = loop.time() + config.heartbeat
        while True:
            item = await sub.next(min(ping_at, ends) - loop.time())
            if item is None:
                if loop.time() >= ends:
                    return  # the client reconnects with its Last-Event-ID and signs in again
                cursor = sub.feed.cursor or 0
                if cursor > sent and sub.queue.empty():
                    # Nothing queued, so every event up to the cursor this subscriber may see has
                    # been sent: move its id past the rest, so a reconnect replays less.
                    sent = cursor
                    yield f": ping\nid: {sent}\n\n".encode()
                else:
                    yield b": ping\n\n"
                ping_at = loop.time() + config.heartbeat
                continue
            chunk = []
            for it in [item, *sub.ready()]:
                if it is RESET:
                    yield b"".join(chunk) + reset_frame(max(sub.feed.cursor or 0, sent), "overflow")
                    return
                if it is CLOSE:
                    yield b"".join(chunk) + closing_frame(config.retry_ms)
                    return
                assert isinstance(it, LiveEvent)
                if it.seq > sent:  # at or below `sent`: already in the replay
                    chunk.append(it.frame)
                    sent = it.seq
            if chunk:
                yield b"".join(chunk)
                ping_at = loop.time() + config.heartbeat
    finally:
        hub.unsubscribe(sub)
        subscriber_closed()
