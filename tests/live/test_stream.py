"""GET /api/v1/live over real HTTP: auth, framing, heartbeat, who gets what, replay, reset, overflow."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import uuid
from types import SimpleNamespace

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.live.service import append_event
from relaydesk.settings import Settings
from tests.factories import escalate, login, make_session
from tests.live.conftest import SSE, Served, serve_in_thread
from tests.live.helpers import append, escalate_over_http, eventually, make_team


async def test_refuses_anonymous_and_bad_positions(server: Served, db: Database) -> None:
    team = await make_team(db)
    async with httpx.AsyncClient(base_url=server.url) as http:
        anonymous = await http.get("/api/v1/live")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        revoked = await http.get("/api/v1/live", headers={"Authorization": "Bearer nope"})
        assert revoked.status_code == 401
        bad_id = await http.get("/api/v1/live", headers={**team.senior.headers, "Last-Event-ID": "12abc"})
        assert bad_id.status_code == 422 and "Last-Event-ID" in bad_id.json()["detail"]
        negative = await http.get("/api/v1/live", headers=team.senior.headers, params={"since": -1})
        assert negative.status_code == 422
    assert server.hub.subscriber_count() == 0


async def test_headers_retry_ready_and_heartbeat(server: Served, db: Database) -> None:
    team = await make_team(db)
    async with SSE(server.url, headers=team.senior.headers) as sse:
        assert sse.response is not None and sse.response.status_code == 200
        headers = sse.response.headers
        assert headers["content-type"].startswith("text/event-stream")
        assert headers["cache-control"] == "no-store"
        assert headers["x-accel-buffering"] == "no"
        assert sse.ready is not None and sse.ready.id is None
        assert sse.ready.data == {"user_id": str(team.senior.user.id), "role": "engineer", "seq": 0}
        # the heartbeat (0.4 s in tests, 15 s by default) is a comment, twice in a quiet second
        pings = []
        async with asyncio.timeout(3):
            while len(pings) < 2:
                msg = await sse.next(events=False)
                if msg.event == "comment" and msg.data == "ping":
                    pings.append(msg)
        assert await sse.quiet(0.2) == []
        assert server.hub.subscriber_count(team.account.id) == 1
    raw = sse.seen
    assert raw[0].event == "comment" and raw[0].data == "relaydesk live"
    # the client went away: its subscription goes too
    await eventually(lambda: server.hub.subscriber_count() == 0, within=5)


async def test_retry_field_is_sent(server: Served, db: Database) -> None:
    team = await make_team(db)
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=5) as http,
        http.stream("GET", "/api/v1/live", headers=team.senior.headers) as response,
    ):
        first = b""
        async for chunk in response.aiter_raw():
            first += chunk
            if b"event: ready" in first:
                break
    assert b"retry: 300\n" in first


async def test_cookie_session_authenticates_the_native_eventsource(server: Served, db: Database) -> None:
    team = await make_team(db)
    async with httpx.AsyncClient(base_url=server.url) as browser:
        signed_in = await login(browser, team.senior.user.email)
        assert signed_in.status_code == 303
        cookies = browser.cookies
    async with SSE(server.url, cookies=cookies) as sse:
        assert sse.response is not None and sse.response.status_code == 200
        handoff = await escalate_over_http(server.url, db, team.junior)
        created = await sse.next()
        assert created.event == "handoff.created" and created.data["handoff_id"] == handoff["id"]


async def test_escalation_payload_renders_a_queue_row(server: Served, db: Database) -> None:
    team = await make_team(db)
    async with SSE(server.url, headers=team.senior.headers) as sse:
        handoff = await escalate_over_http(server.url, db, team.junior, steps=3)
        created, bell = await sse.take(2)
    assert created.event == "handoff.created"
    assert created.id == str(created.data["seq"])
    p = created.data["payload"]
    assert p["problem_summary"] == "VPN drops every 10 minutes"
    assert (p["client_name"], p["ticket_id"], p["priority"]) == ("Harbor Dental", "48213", "normal")
    assert (p["escalator"], p["step_count"], p["reason"]) == ("Jamie Junior", 3, "Out of ideas")
    assert created.data["handoff_id"] == handoff["id"] and created.data["session_id"] == handoff["session_id"]
    assert bell.event == "notification.created" and bell.seq > created.seq
    assert bell.data["payload"]["title"].startswith("Escalation from Jamie Junior")


async def test_each_user_gets_what_they_may_see(server: Served, db: Database) -> None:
    team = await make_team(db)
    aid = team.account.id
    streams = {
        name: SSE(server.url, headers=getattr(team, name).headers)
        for name in ("junior", "senior", "viewer", "owner")
    }
    for sse in streams.values():
        await sse.__aenter__()
    try:
        session = await make_session(db, team.other)
        async with db.uow(aid) as uow:  # parking is private to whoever parks
            from relaydesk.handoffs import service as handoffs
            from relaydesk.handoffs.schemas import HandoffCreate

            await handoffs.create_handoff(uow, team.other.actor, session.id, HandoffCreate(intent="park"))
        await escalate_over_http(server.url, db, team.junior)
        await append(db, aid, type="summary.ready", payload={"state": "ready"})
        await append(db, aid, type="audit.something", actor_id=team.junior.user.id)
        await append(db, aid, type="test.done")  # an unknown type: managers only; ends each list
        got = {}
        for name, sse in streams.items():
            if name == "owner":
                got[name] = [m.event for m in await sse.until("test.done")]
            else:
                got[name] = [m.event for m in await sse.quiet(1.0)]
    finally:
        for sse in streams.values():
            await sse.close()
    created_and_bell = ["handoff.created", "notification.created"]
    assert got["senior"] == [*created_and_bell, "summary.ready"]
    assert got["owner"] == [*created_and_bell, "summary.ready", "audit.something", "test.done"]
    assert got["junior"] == ["handoff.created", "summary.ready", "audit.something"]  # not others' bells
    assert got["viewer"] == ["handoff.created"]  # queue-level only: no bell items, no assessment


async def test_targeted_escalation_reaches_the_target_escalator_and_managers(
    server: Served, db: Database
) -> None:
    team = await make_team(db)
    session = await make_session(db, team.junior)
    streams = {n: SSE(server.url, headers=getattr(team, n).headers) for n in ("senior", "other", "owner")}
    for sse in streams.values():
        await sse.__aenter__()
    try:
        await escalate(db, team.junior, session, target=team.senior.user.id)
        await append(db, team.account.id, type="test.done")
        await streams["owner"].until("test.done")
        seen = {n: [m.event for m in await s.quiet(0.7)] for n, s in streams.items()}
    finally:
        for sse in streams.values():
            await sse.close()
    assert seen["senior"] == ["handoff.created", "notification.created"]
    assert seen["other"] == []


async def test_replay_after_a_disconnect_returns_exactly_the_missed_events(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    team = await make_team(db)
    aid, senior = team.account.id, team.senior
    async with SSE(server.url, headers=senior.headers) as sse:
        await escalate_over_http(server.url, db, team.junior, problem="first")
        seen = await sse.take(2)
    last = seen[-1].seq

    # while the senior is away: three escalations, a private park by someone else, bells for others
    for n in range(3):
        await escalate_over_http(server.url, db, team.junior, problem=f"missed {n}")
    parked = await make_session(db, team.other)
    async with db.uow(aid) as uow:
        from relaydesk.handoffs import service as handoffs
        from relaydesk.handoffs.schemas import HandoffCreate

        await handoffs.create_handoff(uow, team.other.actor, parked.id, HandoffCreate(intent="park"))
    oracle = [
        r[0]
        for r in admin_conn.execute(
            "SELECT seq FROM events WHERE account_id = %s AND seq > %s"
            " AND (audience_user_id IS NULL OR audience_user_id = %s) ORDER BY seq",
            (aid, last, senior.user.id),
        )
    ]
    assert len(oracle) == 6

    for how in ("header", "query"):
        kwargs = {"last_event_id": last} if how == "header" else {"params": {"since": last}}
        async with SSE(server.url, headers=senior.headers, **kwargs) as again:  # type: ignore[arg-type]
            replayed = await again.take(len(oracle))
            assert [m.seq for m in replayed] == oracle, how
            assert [m.event for m in replayed[:6]] == ["handoff.created", "notification.created"] * 3
            assert [m.data["payload"].get("problem_summary") for m in replayed[:6:2]] == [
                "missed 0",
                "missed 1",
                "missed 2",
            ]
            assert await again.quiet(0.5) == []  # nothing twice, nothing else
            # and then live, seamlessly
            seq = (await append(db, aid, type="handoff.test"))[0]
            live = await again.next()
            assert live.seq == seq and live.seq > oracle[-1]
            assert await again.quiet(0.3) == []
            oracle.append(seq)


async def test_the_seam_has_no_gap_and_no_duplicate_under_concurrent_writes(
    server: Served, db: Database
) -> None:
    """Clients connect, drop and reconnect with their last id while events commit all the time; every
    connection chain sees 1..N exactly once, in order."""
    team = await make_team(db)
    aid, owner = team.account.id, team.owner
    total = 150
    written = asyncio.Event()

    async def writer() -> None:
        for _ in range(total // 3):
            await append(db, aid, 3, type="handoff.tick")
            await asyncio.sleep(random.uniform(0, 0.01))
        written.set()

    async def reader(seed: int) -> list[int]:
        rng = random.Random(seed)
        received: list[int] = []
        while not received or received[-1] < total:
            last = received[-1] if received else 0
            async with SSE(server.url, headers=owner.headers, last_event_id=last) as sse:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(rng.uniform(0.05, 0.3)):  # then drop the connection
                        while not received or received[-1] < total:
                            received.append((await sse.next()).seq)
        return received

    results = await asyncio.gather(writer(), *(reader(n) for n in range(4)))
    for received in results[1:]:
        assert received == list(range(1, total + 1))


async def test_cross_account_subscribers_never_see_each_other(server: Served, db: Database) -> None:
    red, blue = await make_team(db, name="Red MSP"), await make_team(db, name="Blue MSP")
    async with (
        SSE(server.url, headers=red.senior.headers) as r,
        SSE(server.url, headers=blue.owner.headers) as b,
    ):
        red_handoff = await escalate_over_http(server.url, db, red.junior, problem="red problem")
        blue_handoff = await escalate_over_http(server.url, db, blue.junior, problem="blue problem")
        await append(db, red.account.id, type="test.done")
        await append(db, blue.account.id, type="test.done")
        red_seen = await r.quiet(1.0)
        blue_seen = await b.until("test.done")
    assert {m.data["handoff_id"] for m in red_seen if m.data["handoff_id"]} == {red_handoff["id"]}
    assert {m.data["handoff_id"] for m in blue_seen if m.data["handoff_id"]} == {blue_handoff["id"]}
    assert all("red" not in str(m.data) for m in blue_seen)
    # each account has its own positions: both started at 1, and a blue id replays only blue events
    assert red_seen[0].seq == 1 and blue_seen[0].seq == 1
    async with SSE(server.url, headers=blue.owner.headers, last_event_id=0) as again:
        replay = await again.until("test.done")
    assert [m.data for m in replay] == [m.data for m in blue_seen]


async def test_too_old_unknown_or_too_far_gets_reset(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    team = await make_team(db)
    aid = team.account.id
    await append(db, aid, 5, type="handoff.tick")
    # the first three are older than the 72 h retention window
    admin_conn.execute(
        "UPDATE events SET created_at = now() - interval '100 hours' WHERE account_id = %s AND seq <= 3",
        (aid,),
    )
    for last, reason in ((1, "expired"), (99, "unknown_id")):
        async with SSE(server.url, headers=team.owner.headers, last_event_id=last) as sse:
            reset = await sse.next()
            assert (reset.event, reset.id, reset.data) == ("reset", "5", {"reason": reason, "seq": 5})
            await asyncio.wait_for(sse.ended.wait(), 5)  # and the stream ends
    async with SSE(server.url, headers=team.owner.headers, last_event_id=3) as sse:  # 4 is in the window
        assert [m.seq for m in await sse.take(2)] == [4, 5]
    # removed rows (a hole in the history) are never replayed as if complete
    admin_conn.execute("DELETE FROM events WHERE account_id = %s AND seq = 4", (aid,))
    async with SSE(server.url, headers=team.owner.headers, last_event_id=3) as sse:
        assert (await sse.next()).event == "reset"


async def test_a_slow_subscriber_overflows_to_reset_and_is_cut(live_settings: Settings, db: Database) -> None:
    app = create_app(live_settings.model_copy(update={"live_queue_size": 4}))
    team = await make_team(db)
    with serve_in_thread(app) as url:
        async with SSE(url, headers=team.owner.headers) as sse:
            # one commit of 10 events is handed to the hub at once: more than this queue holds
            await append(db, team.account.id, 10, type="handoff.tick")
            reset = await sse.next()
            assert reset.event == "reset" and reset.data["reason"] == "overflow" and reset.seq == 10
            await asyncio.wait_for(sse.ended.wait(), 5)
            assert app.state.live_hub.subscriber_count() == 0
        # reconnecting from the reset's id continues from there
        async with SSE(url, headers=team.owner.headers, last_event_id=reset.seq) as again:
            await append(db, team.account.id, 2, type="handoff.tick")
            assert [m.seq for m in await again.take(2)] == [11, 12]


async def test_a_client_that_stops_reading_is_cut_after_the_send_timeout(
    server: Served, db: Database
) -> None:
    team = await make_team(db)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = server.url.removeprefix("http://").split(":")
    raw.connect((host, int(port)))
    head = f"GET /api/v1/live HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {team.owner.token}\r\n\r\n"
    raw.sendall(head.encode())
    try:
        await eventually(lambda: server.hub.subscriber_count() == 1)
        # never read: 20 MB of events fill every buffer between us and the server
        big = {"blob": "x" * 200_000}
        for _ in range(10):
            await append(db, team.account.id, 10, type="handoff.big", payload=big)
            await asyncio.sleep(0.05)
        # the send timeout is 3 s in tests (30 s by default)
        await eventually(lambda: server.hub.subscriber_count() == 0, within=15)
    finally:
        raw.close()


async def test_no_transaction_stays_open_while_streaming(
    server: Served, db: Database, admin_conn: psycopg.Connection
) -> None:
    team = await make_team(db)
    await append(db, team.account.id, 3, type="handoff.tick")
    async with SSE(server.url, headers=team.owner.headers, last_event_id=0) as sse:
        assert [m.seq for m in await sse.take(3)] == [1, 2, 3]
        open_transactions = admin_conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        ).fetchone()
        assert open_transactions == (0,)


async def test_the_heartbeat_moves_the_id_past_events_the_user_may_not_see(
    server: Served, db: Database
) -> None:
    team = await make_team(db)
    async with SSE(server.url, headers=team.viewer.headers) as sse:
        seqs = await append(db, team.account.id, 3, type="notification.created", audience=team.senior.user.id)
        async with asyncio.timeout(3):
            while True:
                msg = await sse.next(events=False)
                if msg.event == "id-only":
                    break
        assert msg.seq == seqs[-1]
        assert [m for m in sse.seen if m.event not in ("comment", "id-only", "ready")] == []


async def test_private_park_event_reaches_only_its_owner_even_on_replay(server: Served, db: Database) -> None:
    team = await make_team(db)
    aid = team.account.id
    async with db.uow(aid) as uow:
        await append_event(
            uow,
            account_id=aid,
            type="session.parked",
            actor_id=team.junior.user.id,
            session_id=uuid.uuid4(),
            audience_user_id=team.junior.user.id,
        )
    await append(db, aid, type="handoff.tick")
    async with SSE(server.url, headers=team.owner.headers, last_event_id=0) as owner:
        assert [m.event for m in await owner.take(1)] == ["handoff.tick"]
    async with SSE(server.url, headers=team.junior.headers, last_event_id=0) as junior:
        assert [m.event for m in await junior.take(2)] == ["session.parked", "handoff.tick"]


async def test_a_stream_ends_after_its_maximum_life_and_resumes_from_its_id(
    live_settings: Settings, db: Database
) -> None:
    """Streams are capped (an hour by default) so a revoked sign-in does not keep one open for ever;
    the client reconnects with its Last-Event-ID, signs in again, and misses nothing."""
    team = await make_team(db)
    app = create_app(live_settings.model_copy(update={"live_stream_max_seconds": 1.0}))
    with serve_in_thread(app) as url:
        async with SSE(url, headers=team.owner.headers) as sse:
            first = (await append(db, team.account.id, type="handoff.tick"))[0]
            assert (await sse.next()).seq == first
            await asyncio.wait_for(sse.ended.wait(), 5)
        missed = await append(db, team.account.id, 2, type="handoff.tick")
        async with SSE(url, headers=team.owner.headers, last_event_id=first) as again:
            assert [m.seq for m in await again.take(2)] == missed


async def test_every_app_follows_the_event_log_from_its_lifespan(app: FastAPI) -> None:
    """The conftest `app` (create_app + its lifespan) runs the listener: no test has to start it."""
    listener = app.state.live_listener
    assert listener.connected and listener.backend_pid is not None
    assert app.state.live_hub.subscriber_count() == 0


async def test_the_openapi_document_describes_the_stream(client: httpx.AsyncClient) -> None:
    document = await client.get("/api/openapi.json")
    assert document.status_code == 200
    live = document.json()["paths"]["/api/v1/live"]["get"]
    assert "text/event-stream" in live["responses"]["200"]["content"]
    assert [p["name"] for p in live["parameters"]] == ["since"]


async def test_a_commit_landing_between_the_replays_two_reads_is_replayed_not_reset(
    server: Served, db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay reads the newest position and the rows in one transaction, but READ COMMITTED
    gives each statement its own snapshot: a commit can land between them. Force one there."""
    from relaydesk.live import service, sse

    team = await make_team(db)
    aid = team.account.id
    (last,) = await append(db, aid, type="handoff.tick")
    armed = True

    async def commit_one_between() -> None:
        nonlocal armed
        if armed:
            armed = False
            async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
                await conn.execute(
                    "INSERT INTO events (account_id, seq, type, payload) SELECT %s, max(seq) + 1,"
                    " 'handoff.between', '{}' FROM events WHERE account_id = %s",
                    (aid, aid),
                )

    async def last_seq(uow, account_id):  # type: ignore[no-untyped-def]
        value = await service.last_seq(uow, account_id)
        await commit_one_between()
        return value

    async def events_after(uow, account_id, after, *, limit):  # type: ignore[no-untyped-def]
        rows = await service.events_after(uow, account_id, after, limit=limit)
        await commit_one_between()
        return rows

    monkeypatch.setattr(sse, "service", SimpleNamespace(last_seq=last_seq, events_after=events_after))
    async with SSE(server.url, headers=team.owner.headers, last_event_id=last) as again:
        got = await again.next()
        assert (got.event, got.seq) == ("handoff.between", last + 1)
