"""Escalation → summary `ready` with the offline engine, through a real `relaydesk serve`.

    .venv/bin/python -m benchmarks.summaries_offline [--escalations 100]

History: the 160 #ubuntu IRC threads in ../shared/data/ (Kummerfeld et al., ACL 2019, CC-BY-4.0) turned
into sessions by benchmarks.irc_threads; 120 become the account's resolved history, the other 40 are
escalated in turn (round robin) with their steps. For each escalation the clock runs from sending the
POST until the handoff row says `ready`, read on a separate connection each time an event commits
(LISTEN on the event channel; every 20 ms at the latest). The worker runs inside `serve`, woken by
NOTIFY, as in production.
Also printed: the engine's own time (full-text search + summary) measured in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks._support import ms, percentile, scratch_database, serve
from benchmarks.irc_threads import DemoSession, thread_to_session
from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database
from relaydesk.live.service import CHANNEL as EVENTS_CHANNEL
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn, SessionCreate, StepCreate
from relaydesk.summaries import offline
from relaydesk.summaries.material import session_material

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ubuntu_irc_threads.jsonl"
HISTORY = 120


def threads() -> list[DemoSession]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [thread_to_session(row) for row in rows]


async def team(db: Database, name: str) -> tuple[Actor, Actor, str]:
    """An account with a junior (and their API token) and a senior."""
    async with db.uow() as uow:
        account = await accounts.create_account(uow, name)
        junior = await accounts.add_user(
            uow, account.id, email=f"junior-{uuid.uuid4().hex[:6]}@bench.test", name="Jamie Junior",
            role="engineer", password=None,
        )  # fmt: skip
        senior = await accounts.add_user(
            uow, account.id, email=f"senior-{uuid.uuid4().hex[:6]}@bench.test", name="Sam Senior",
            role="engineer", password=None,
        )  # fmt: skip
        token, _ = await accounts.issue_api_token(uow, junior, label="bench")
    return accounts.actor_for(junior, via="token"), accounts.actor_for(senior, via="token"), token


async def add_session(db: Database, actor: Actor, demo: DemoSession, *, resolve: bool) -> uuid.UUID:
    async with db.uow(actor.account_id) as uow:
        session = await sessions.create_session(
            uow,
            actor,
            SessionCreate(problem_summary=demo.problem, category=demo.category, client_name="Harbor Dental"),
        )
        for step in demo.steps:
            await sessions.add_step(
                uow,
                actor,
                session.id,
                StepCreate(action=step.action, result=step.result, outcome=step.outcome),
            )
        if resolve:
            await sessions.resolve_session(
                uow, actor, session.id, ResolveIn(resolution=demo.resolution or "Fixed.")
            )
    return session.id


async def states(
    watch: psycopg.AsyncConnection[Any], handoff_id: str, started: float
) -> AsyncIterator[tuple[str, str]]:
    """(summary_state, engine) of a handoff each time an event is committed in the account (LISTEN on the
    event channel, so no busy polling), until the caller stops; at least every 20 ms."""
    while True:
        cur = await watch.execute(
            "SELECT summary_state, coalesce(summary->>'engine', '') FROM handoffs WHERE id = %s",
            (handoff_id,),
        )
        row = await cur.fetchone()
        if row:
            yield row[0], row[1]
        if time.perf_counter() - started > 60:
            raise RuntimeError("the summary did not become ready in 60 s")
        async for _ in watch.notifies(timeout=0.02, stop_after=1):
            pass


async def engine_time(db: Database, actor: Actor, session_ids: list[uuid.UUID]) -> list[float]:
    """The offline engine alone, in-process: material with full-text search, then the summary."""
    times = []
    for sid in session_ids:
        async with db.uow(actor.account_id) as uow:
            session = await sessions.get_session(uow, actor, sid)
            started = time.perf_counter()
            material = await session_material(uow, session)
            offline.summarize(material, now=datetime.now(UTC))
            times.append(time.perf_counter() - started)
    return times


async def main(escalations: int) -> None:
    url = scratch_database("summaries_offline")
    db = Database(url, pool_size=4)
    junior, senior, token = await team(db, "Bench MSP")
    demo = threads()
    for item in demo[:HISTORY]:
        await add_session(db, senior, item, resolve=True)
    pool = demo[HISTORY:]

    with serve(url, env={"RELAYDESK_LLM_MODEL": ""}) as base:
        watch = await psycopg.AsyncConnection.connect(url, autocommit=True)
        await watch.execute(f"LISTEN {EVENTS_CHANNEL}")
        async with watch, httpx.AsyncClient(base_url=base, timeout=60) as client:
            headers = {"Authorization": f"Bearer {token}"}
            posted, ready, steps = [], [], []
            for n in range(escalations):
                item = pool[n % len(pool)]
                sid = await add_session(db, junior, item, resolve=False)
                steps.append(len(item.steps))
                started = time.perf_counter()
                response = await client.post(
                    f"/api/v1/sessions/{sid}/handoffs",
                    headers=headers,
                    json={"intent": "escalate", "reason": "Out of ideas"},
                )
                posted.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text
                async for state, _ in states(watch, response.json()["id"], started):
                    if state == "ready":
                        ready.append(time.perf_counter() - started)
                        break
            cur = await watch.execute("SELECT summary->>'engine', count(*) FROM handoffs GROUP BY 1")
            engines = await cur.fetchall()
    sample = [await add_session(db, junior, item, resolve=False) for item in pool]
    engine = await engine_time(db, junior, sample)
    await db.dispose()

    print(
        f"history: {HISTORY} resolved sessions; escalations: {escalations} sessions of 2-{max(steps)} steps"
    )
    print(f"engines of the summaries: {dict(engines)}")
    print(f"escalate POST → 201:       p50 {ms(percentile(posted, 50))}, p95 {ms(percentile(posted, 95))}")
    print(f"escalate POST → ready:     p50 {ms(percentile(ready, 50))}, p95 {ms(percentile(ready, 95))}")
    print(
        f"offline engine in-process (search + summary), {len(engine)} sessions: "
        f"p50 {ms(percentile(engine, 50))}, p95 {ms(percentile(engine, 95))}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=100)
    asyncio.run(main(parser.parse_args().escalations))
