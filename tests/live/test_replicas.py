"""Several processes on one database, and the LISTEN connection dropping mid-stream."""

from __future__ import annotations

import psycopg

from relaydesk.db.uow import Database
from tests.live.conftest import SSE, Served
from tests.live.helpers import escalate_over_http, eventually, make_team


async def test_two_serve_processes_each_deliver_an_escalation_made_through_one(
    two_servers: tuple[str, str], db: Database
) -> None:
    one, two = two_servers
    team = await make_team(db)
    async with (
        SSE(one, headers=team.senior.headers) as on_one,
        SSE(two, headers=team.owner.headers) as on_two,
    ):
        handoff = await escalate_over_http(one, db, team.junior, problem="Printer offline on floor 3")
        first = await on_one.next()
        second = await on_two.next()
    for got in (first, second):
        assert got.event == "handoff.created" and got.data["handoff_id"] == handoff["id"]
        assert got.data["payload"]["problem_summary"] == "Printer offline on floor 3"
    assert first.id == second.id  # one position, whichever process delivers it


async def test_a_dropped_database_connection_loses_nothing(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    """A database restart, simulated: the embedded test server cannot be restarted under the other
    tests, so every backend of this database is terminated (the listener's LISTEN connection, the
    app's pool, ours) and the SSE client's connection is dropped as well. Events committed while
    nobody listens must reach a client that stayed connected (the listener catches up from its
    cursor) and a client that reconnects with its Last-Event-ID (the replay)."""
    team = await make_team(db)
    before = await SSE(server.url, headers=team.senior.headers).__aenter__()
    stays = await SSE(server.url, headers=team.viewer.headers).__aenter__()  # handoff events only
    try:
        await escalate_over_http(server.url, db, team.junior, problem="before the drop")
        seen = await before.take(2)
        assert [m.event for m in seen] == ["handoff.created", "notification.created"]
        assert (await stays.next()).event == "handoff.created"

        listener = server.listener
        assert listener.connected and listener.connects == 1
        listener.backoff = (2.0, 5.0)  # a slow comeback, so the next commits land while it is away
        terminated = admin_conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        assert terminated is not None and terminated[0] >= 1
        await before.close()  # and the browser's connection goes too
        await eventually(lambda: not listener.connected, within=5)

        missed = [
            await escalate_over_http(server.url, db, team.junior, problem=f"during {n}") for n in range(2)
        ]
        assert not listener.connected, "the commits must land while nobody listens"

        # the client that stayed: catch-up after the listener reconnects
        caught_up = await stays.take(2, within=15)
        assert [m.data["handoff_id"] for m in caught_up] == [h["id"] for h in missed]
        assert listener.connected and listener.connects == 2

        # the client that dropped: replay from its Last-Event-ID, then live
        async with SSE(server.url, headers=team.senior.headers, last_event_id=seen[-1].id) as again:
            replayed = await again.take(4)
            assert [m.event for m in replayed] == ["handoff.created", "notification.created"] * 2
            assert [m.data["handoff_id"] for m in replayed[::2]] == [h["id"] for h in missed]
            assert [m.seq for m in replayed] == sorted({m.seq for m in replayed})
            after = await escalate_over_http(server.url, db, team.junior, problem="after the drop")
            live = await again.next()
            assert live.data["handoff_id"] == after["id"] and live.seq > replayed[-1].seq
        assert (await stays.next()).data["handoff_id"] == after["id"]
        assert await stays.quiet(0.3) == []
    finally:
        await before.close()
        await stays.close()


async def test_the_listener_keeps_retrying_while_the_database_refuses(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    """Kill the LISTEN backend again and again: it comes back each time and catches up."""
    team = await make_team(db)
    listener = server.listener
    listener.backoff = (0.05, 0.2)
    async with SSE(server.url, headers=team.viewer.headers) as sse:
        for round_ in range(3):
            pid = listener.backend_pid
            assert pid is not None
            admin_conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await eventually(lambda pid=pid: listener.connected and listener.backend_pid != pid)  # type: ignore[misc]
            handoff = await escalate_over_http(server.url, db, team.junior, problem=f"round {round_}")
            got = await sse.next()
            assert got.data["handoff_id"] == handoff["id"]
        assert listener.connects == 4
        assert await sse.quiet(0.3) == []
