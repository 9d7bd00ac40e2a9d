"""Event order is commit order (invariant 6), shown with transactions that commit out of order."""

from __future__ import annotations

import asyncio
import random
import time

import psycopg
import pytest
from sqlalchemy import text

from relaydesk.db.uow import Database
from relaydesk.live.service import append_event
from tests.live.conftest import SSE, Served
from tests.live.helpers import eventually, make_team


def _waiting_on_advisory_lock(admin_conn: psycopg.Connection) -> int:
    row = admin_conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def _committed(admin_conn: psycopg.Connection, account_id: object) -> list[tuple[int, str]]:
    return [
        (int(seq), str(type_))
        for seq, type_ in admin_conn.execute(
            "SELECT seq, type FROM events WHERE account_id = %s ORDER BY seq", (account_id,)
        )
    ]


async def test_two_transactions_committing_out_of_order_are_seen_in_commit_order(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    team = await make_team(db)
    aid = team.account.id
    async with SSE(server.url, headers=team.owner.headers) as sse:
        async with db.uow(aid) as b_uow:
            # B starts first (its created_at, the transaction's start, is the earlier one) ...
            await b_uow.result(text("SELECT 1"))
            async with db.uow(aid) as a_uow:
                # ... but A appends first and holds the account's event lock until it commits.
                a_event = await append_event(a_uow, account_id=aid, type="handoff.a")
                b_append = asyncio.create_task(append_event(b_uow, account_id=aid, type="handoff.b"))
                await eventually(lambda: _waiting_on_advisory_lock(admin_conn) == 1, within=5)
                await asyncio.sleep(0.2)
                assert not b_append.done(), "B must wait for A's commit to take its position"
                assert _committed(admin_conn, aid) == []
                assert await sse.quiet(0.3) == []
                # leaving the block commits A
            first = await sse.next()
            assert (first.event, first.seq) == ("handoff.a", a_event.seq)
            b_event = await asyncio.wait_for(b_append, 5)
            assert b_event.seq == a_event.seq + 1, "B's position is taken after A committed"
            assert _committed(admin_conn, aid) == [(a_event.seq, "handoff.a")]  # B is not visible yet
            assert await sse.quiet(0.3) == []
            # leaving the block commits B
        second = await sse.next()
        assert (second.event, second.seq) == ("handoff.b", b_event.seq)
    assert _committed(admin_conn, aid) == [(1, "handoff.a"), (2, "handoff.b")]
    times = dict(
        admin_conn.execute("SELECT type, created_at FROM events WHERE account_id = %s", (aid,)).fetchall()
    )
    assert times["handoff.b"] < times["handoff.a"], "B began first, yet commits (and is numbered) second"


def test_a_plain_sequence_would_skip_an_event_forever(
    admin_conn: psycopg.Connection, database_url: str
) -> None:
    """Why the lock: ids from a sequence are taken in one order and can commit in the other, and a
    reader that asks for `id > last` then never sees the slower one. This is the failure the
    advisory lock rules out; the test above shows it cannot happen to events."""
    admin_conn.execute("CREATE TABLE IF NOT EXISTS naive_events (id bigserial PRIMARY KEY, name text)")
    admin_conn.execute("TRUNCATE naive_events RESTART IDENTITY")
    try:
        with psycopg.connect(database_url) as slow, psycopg.connect(database_url) as fast:
            slow.execute("INSERT INTO naive_events (name) VALUES ('slow')")  # takes id 1
            fast.execute("INSERT INTO naive_events (name) VALUES ('fast')")  # takes id 2
            fast.commit()
            seen = admin_conn.execute("SELECT id FROM naive_events WHERE id > 0 ORDER BY id").fetchall()
            last = seen[-1][0]
            slow.commit()
            later = admin_conn.execute("SELECT id FROM naive_events WHERE id > %s", (last,)).fetchall()
        assert (seen, later) == ([(2,)], []), "the reader skipped id 1 for good"
    finally:
        admin_conn.execute("DROP TABLE naive_events")


@pytest.mark.parametrize("writers", [24])
async def test_concurrent_writers_commit_in_position_order(
    server: Served, db: Database, admin_conn: psycopg.Connection, writers: int
) -> None:
    """Many transactions append and then dawdle a random while before committing. Whoever takes
    position N+1 took it after N committed, and a subscriber sees 1..N, in order, nothing missing."""
    team = await make_team(db)
    aid = team.account.id
    took: dict[int, float] = {}
    committing: dict[int, float] = {}

    async def write(n: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.05))
        async with db.uow(aid) as uow:
            event = await append_event(uow, account_id=aid, type="handoff.tick", payload={"writer": n})
            took[event.seq] = time.monotonic()
            await asyncio.sleep(random.uniform(0, 0.03))
            committing[event.seq] = time.monotonic()

    async with SSE(server.url, headers=team.owner.headers) as sse:
        outcomes = await asyncio.gather(*(write(n) for n in range(writers)), return_exceptions=True)
        assert [o for o in outcomes if o is not None] == []
        received = [m.seq for m in await sse.take(writers)]
    assert received == list(range(1, writers + 1))
    assert sorted(took) == list(range(1, writers + 1))
    for seq in range(2, writers + 1):
        assert took[seq] >= committing[seq - 1], f"{seq} was numbered before {seq - 1} began to commit"
