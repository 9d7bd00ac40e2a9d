"""The local subscribers of this process, by account, each with a bounded queue.

The listener hands every account's new events to `Hub.publish` in seq order; the hub puts each one
in the queue of every local subscriber of that account allowed to see it (`audience.py`). A
subscriber that cannot keep up has its queue overflow: its backlog is dropped and replaced by one
`RESET`, after which it gets nothing more; the stream then tells the page to refetch and ends.
Events never silently vanish from a stream that stays open.

Each event is encoded once, as its SSE frame, and shared by every subscriber's queue.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from relaydesk.accounts.actor import ROLE_RANK
from relaydesk.live.audience import Audience, audience_of
from relaydesk.live.models import Event


def frame(*, event: str | None = None, data: Any = None, id: int | None = None) -> bytes:
    """One SSE message. JSON has no raw newlines, so `data` is always a single line."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass(frozen=True, slots=True)
class LiveEvent:
    seq: int
    type: str
    audience: Audience
    frame: bytes

    @classmethod
    def from_row(cls, event: Event) -> LiveEvent:
        payload = event.payload or {}
        created_at: datetime | None = event.created_at
        data = {
            "seq": event.seq,
            "type": event.type,
            "at": created_at.isoformat() if created_at else None,
            "actor_id": event.actor_id,
            "session_id": event.session_id,
            "handoff_id": event.handoff_id,
            "payload": payload,
        }
        audience = audience_of(
            event.type, actor_id=event.actor_id, audience_user_id=event.audience_user_id, payload=payload
        )
        return cls(event.seq, event.type, audience, frame(id=event.seq, event=event.type, data=data))


class _Reset:
    def __repr__(self) -> str:
        return "RESET"


RESET: Final = _Reset()


class _Close:
    def __repr__(self) -> str:
        return "CLOSE"


CLOSE: Final = _Close()  # the process is stopping: end the stream with a retry hint
Item = LiveEvent | _Reset | _Close


class Subscription:
    """One open stream: who it is for, and its bounded queue."""

    __slots__ = ("cut", "feed", "queue", "rank", "user_id")

    def __init__(self, feed: AccountFeed, user_id: uuid.UUID, role: str, maxsize: int) -> None:
        self.feed = feed
        self.user_id = user_id
        self.rank = ROLE_RANK[role]
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=max(1, maxsize))
        self.cut = False

    def offer(self, item: LiveEvent) -> None:
        if self.cut:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too slow: a partial history is worse than none, so drop it all and ask for a refetch.
            self.cut = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESET)

    async def next(self, within: float) -> Item | None:
        """The next item, or None when `within` seconds pass without one."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        try:
            async with asyncio.timeout(max(0.0, within)):
                return await self.queue.get()
        except TimeoutError:
            return None

    def close(self) -> None:
        self.cut = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(CLOSE)

    def ready(self) -> list[Item]:
        """Whatever else is queued right now, without waiting."""
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items


@dataclass(eq=False)
class AccountFeed:
    """One account's local subscribers and how far this process has read its events.

    `cursor` is the last seq handed to the subscribers (None until the listener has read the
    account's position). Every event after it will be published to whoever is subscribed then;
    every event up to it was committed before now, so a new subscriber's replay covers it.
    """

    account_id: uuid.UUID
    cursor: int | None = None
    subscribers: set[Subscription] = field(default_factory=set)
    by_user: dict[uuid.UUID, set[Subscription]] = field(default_factory=dict)
    dirty: bool = False
    drainer: asyncio.Task[None] | None = None
    starting: asyncio.Task[None] | None = None


class Hub:
    def __init__(self, *, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self.feeds: dict[uuid.UUID, AccountFeed] = {}
        self.closing = False

    def close_all(self) -> None:
        """The process is stopping: every open stream ends, and new ones end at once."""
        self.closing = True
        for feed in list(self.feeds.values()):
            for sub in list(feed.subscribers):
                sub.close()

    def subscribe(self, account_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Subscription:
        feed = self.feeds.get(account_id)
        if feed is None:
            feed = self.feeds[account_id] = AccountFeed(account_id)
        sub = Subscription(feed, user_id, role, self.queue_size)
        feed.subscribers.add(sub)
        feed.by_user.setdefault(user_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        feed = sub.feed
        feed.subscribers.discard(sub)
        mine = feed.by_user.get(sub.user_id)
        if mine is not None:
            mine.discard(sub)
            if not mine:
                del feed.by_user[sub.user_id]
        if not feed.subscribers and self.feeds.get(feed.account_id) is feed:
            # Nobody here listens to this account any more: forget its position. A later
            # subscriber starts a new feed from the account's position at that time.
            del self.feeds[feed.account_id]

    def current(self, feed: AccountFeed) -> bool:
        return self.feeds.get(feed.account_id) is feed

    def publish(self, feed: AccountFeed, events: list[LiveEvent]) -> None:
        """Hand events (in seq order) to the feed's subscribers. Synchronous: a subscriber that
        registers is either in this whole batch or in none of it, and the cursor moves with it."""
        if not self.current(feed) or feed.cursor is None:
            return
        for event in events:
            if event.seq <= feed.cursor:
                continue
            feed.cursor = event.seq
            audience = event.audience
            if audience.min_rank is None:
                for user_id in audience.users:
                    for sub in feed.by_user.get(user_id, ()):
                        sub.offer(event)
            else:
                for sub in feed.subscribers:
                    if audience.admits(sub.user_id, sub.rank):
                        sub.offer(event)

    def subscriber_count(self, account_id: uuid.UUID | None = None) -> int:
        if account_id is not None:
            feed = self.feeds.get(account_id)
            return len(feed.subscribers) if feed else 0
        return sum(len(f.subscribers) for f in self.feeds.values())
