"""The hub and the audience rules, without a database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from relaydesk.accounts.actor import ROLE_RANK
from relaydesk.live.audience import audience_of
from relaydesk.live.hub import RESET, Hub, LiveEvent
from relaydesk.live.models import Event

ACCOUNT = uuid.uuid4()


def event(seq: int, type: str = "handoff.created", **fields: Any) -> LiveEvent:
    row = Event(
        account_id=ACCOUNT,
        seq=seq,
        type=type,
        actor_id=fields.get("actor_id"),
        session_id=fields.get("session_id"),
        handoff_id=fields.get("handoff_id"),
        audience_user_id=fields.get("audience_user_id"),
        payload=fields.get("payload", {}),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return LiveEvent.from_row(row)


def sees(type: str, role: str, user: uuid.UUID, **fields: Any) -> bool:
    audience = audience_of(
        type,
        actor_id=fields.get("actor_id"),
        audience_user_id=fields.get("audience_user_id"),
        payload=fields.get("payload", {}),
    )
    return audience.admits(user, ROLE_RANK[role])


@pytest.mark.parametrize(
    ("type", "role", "expected"),
    [
        ("handoff.created", "viewer", True),
        ("handoff.claimed", "engineer", True),
        ("summary.ready", "viewer", False),
        ("summary.ready", "engineer", True),
        ("delivery.dead", "viewer", False),
        ("delivery.dead", "engineer", True),
        ("notification.created", "owner", False),  # a bell item without its user reaches nobody
        ("session.something", "engineer", False),  # new types are private until decided
        ("session.something", "admin", True),
    ],
)
def test_who_sees_a_broadcast(type: str, role: str, expected: bool) -> None:
    assert sees(type, role, uuid.uuid4()) is expected


def test_an_audience_is_one_user_whatever_the_role() -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    for type in ("notification.created", "session.parked", "handoff.created"):
        assert sees(type, "viewer", me, audience_user_id=me)
        assert not sees(type, "owner", other, audience_user_id=me)


def test_a_targeted_handoff_reaches_target_escalator_and_managers() -> None:
    target, escalator, bystander = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fields = {
        "actor_id": escalator,
        "payload": {"target_user_id": str(target), "escalator_id": str(escalator)},
    }
    assert sees("handoff.created", "engineer", target, **fields)
    assert sees("handoff.created", "engineer", escalator, **fields)
    assert sees("handoff.created", "admin", bystander, **fields)
    assert not sees("handoff.created", "engineer", bystander, **fields)
    assert not sees("handoff.created", "viewer", bystander, **fields)


def test_frames_are_sse_with_the_seq_as_id_and_one_data_line() -> None:
    handoff = uuid.uuid4()
    e = event(7, payload={"problem_summary": "two\nlines", "n": 1}, handoff_id=handoff)
    text = e.frame.decode()
    assert text.endswith("\n\n") and text.count("\n") == 4
    lines = text.splitlines()
    assert lines[:2] == ["id: 7", "event: handoff.created"]
    data = json.loads(lines[2].removeprefix("data: "))
    assert data["seq"] == 7 and data["handoff_id"] == str(handoff)
    assert data["payload"] == {"problem_summary": "two\nlines", "n": 1}


async def test_publish_routes_by_account_audience_and_role() -> None:
    hub = Hub()
    me, other = uuid.uuid4(), uuid.uuid4()
    mine = hub.subscribe(ACCOUNT, me, "engineer")
    theirs = hub.subscribe(ACCOUNT, other, "viewer")
    elsewhere = hub.subscribe(uuid.uuid4(), me, "owner")
    feed = hub.feeds[ACCOUNT]
    feed.cursor = 0
    hub.publish(
        feed,
        [
            event(1),
            event(2, "notification.created", audience_user_id=me),
            event(3, "summary.ready"),
            event(2, "handoff.stale"),  # at or below the cursor: never twice
        ],
    )
    assert [i.seq for i in mine.ready()] == [1, 2, 3]  # type: ignore[union-attr]
    assert [i.seq for i in theirs.ready()] == [1]  # type: ignore[union-attr]
    assert elsewhere.ready() == []
    assert feed.cursor == 3


async def test_a_full_queue_becomes_one_reset_and_nothing_after() -> None:
    hub = Hub(queue_size=3)
    slow = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    fast = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    feed = hub.feeds[ACCOUNT]
    feed.cursor = 0
    for seq in range(1, 6):  # the slow one never reads; the fast one reads each time
        hub.publish(feed, [event(seq)])
        assert [i.seq for i in fast.ready()] == [seq]  # type: ignore[union-attr]
    assert slow.cut and slow.ready() == [RESET]
    hub.publish(feed, [event(6)])
    assert slow.ready() == []
    assert not fast.cut


async def test_the_last_unsubscribe_forgets_the_account() -> None:
    hub = Hub()
    a = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    b = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    feed = hub.feeds[ACCOUNT]
    hub.unsubscribe(a)
    assert hub.feeds[ACCOUNT] is feed and hub.subscriber_count(ACCOUNT) == 1
    hub.unsubscribe(b)
    assert ACCOUNT not in hub.feeds
    # a late publish for the forgotten feed goes nowhere
    feed.cursor = 0
    c = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    hub.publish(feed, [event(1)])
    assert c.ready() == []


async def test_next_waits_then_times_out() -> None:
    hub = Hub()
    sub = hub.subscribe(ACCOUNT, uuid.uuid4(), "engineer")
    assert await sub.next(0.05) is None
    hub.feeds[ACCOUNT].cursor = 0
    hub.publish(hub.feeds[ACCOUNT], [event(1)])
    got = await sub.next(1)
    assert isinstance(got, LiveEvent) and got.seq == 1


def test_comment_and_step_events_reach_the_sessions_readers_only() -> None:
    owner, claimer, bystander, admin = (uuid.uuid4() for _ in range(4))
    rank = ROLE_RANK
    claimed = {"readers": [str(owner), str(claimer)], "in_queue": False}
    for type_ in ("comment.created", "step.added", "step.edited", "step.deleted"):
        audience = audience_of(type_, actor_id=owner, audience_user_id=None, payload=claimed)
        assert audience.admits(owner, rank["engineer"]) and audience.admits(claimer, rank["engineer"])
        assert audience.admits(admin, rank["admin"])
        assert not audience.admits(bystander, rank["engineer"])
    waiting = {"readers": [str(owner)], "in_queue": True}
    audience = audience_of("comment.created", actor_id=owner, audience_user_id=None, payload=waiting)
    assert audience.admits(bystander, rank["engineer"]) and not audience.admits(bystander, rank["viewer"])
