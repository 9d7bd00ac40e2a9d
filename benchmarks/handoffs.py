"""Escalate latency on a 30-step session, and the claim race with N concurrent claimers.

    .venv/bin/python -m benchmarks.handoffs [--escalations 200] [--rounds 10]

Runs a real `relaydesk serve` process against a scratch database and talks HTTP to it.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from benchmarks._support import make_team, ms, percentile, scratch_database, serve
from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import SessionCreate, StepCreate


async def _team(db: Database, *, name: str, others: int) -> tuple[str, list[str]]:
    """An account with a junior and `others` engineers; returns their API tokens."""
    async with db.uow() as uow:
        team = await make_team(uow, name, others)
        tokens = [
            (await accounts.issue_api_token(uow, u, label="bench"))[0] for u in [team.junior, *team.seniors]
        ]
    return tokens[0], tokens[1:]


async def _session_with_steps(db: Database, token: str, steps: int) -> str:
    async with db.uow() as uow:
        actor = await accounts.actor_from_api_token(uow, token)
        assert actor
        session = await sessions.create_session(
            uow,
            actor,
            SessionCreate(
                problem_summary="Outlook is failing to sync email after the tenant moved to modern auth",
                client_name="Acme Dental",
                ticket_id="48213",
                priority="high",
            ),
        )
        for n in range(steps):
            await sessions.add_step(
                uow,
                actor,
                session.id,
                StepCreate(
                    action=f"Step {n}: recreated the Outlook profile and re-added the account",
                    result="Same 0x800CCC0E error after restart",
                    outcome="failed" if n % 3 else "partial",
                ),
            )
    return str(session.id)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def main(escalations: int, rounds: int) -> None:
    url = scratch_database("handoffs")
    db = Database(url, pool_size=5)
    # Escalate latency in a team of a realistic size (everyone else hears by bell and email);
    # the claim race needs 200 claimers in one account.
    team_junior, _ = await _team(db, name="Team of 12", others=11)
    race_junior, seniors = await _team(db, name="Race of 200", others=200)
    # Keep-alive connections expire (2 s) before uvicorn drops idle ones (5 s), so the client never
    # reuses a connection the server is closing.
    limits = httpx.Limits(max_connections=250, keepalive_expiry=2)
    with serve(url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            latencies = []
            for _ in range(escalations):
                sid = await _session_with_steps(db, team_junior, 30)
                start = time.perf_counter()
                response = await client.post(
                    f"/api/v1/sessions/{sid}/handoffs",
                    headers=_bearer(team_junior),
                    json={"intent": "escalate", "reason": "stuck"},
                )
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
            print(
                f"escalate, 30-step session, team of 12, {escalations} runs: "
                f"p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}"
            )

            for n in (10, 50, 200):
                winners = losers = others = 0
                claim_latencies: list[float] = []
                for _ in range(rounds):
                    sid = await _session_with_steps(db, race_junior, 3)
                    created = await client.post(
                        f"/api/v1/sessions/{sid}/handoffs",
                        headers=_bearer(race_junior),
                        json={"intent": "escalate", "reason": "stuck"},
                    )
                    hid = created.json()["id"]

                    async def claim(token: str, hid: str = hid) -> tuple[int, float]:
                        start = time.perf_counter()
                        r = await client.post(f"/api/v1/handoffs/{hid}/claim", headers=_bearer(token))
                        return r.status_code, time.perf_counter() - start

                    results = await asyncio.gather(*[claim(t) for t in seniors[:n]])
                    round_winners = sum(1 for code, _ in results if code == 200)
                    assert round_winners == 1, results
                    winners += round_winners
                    losers += sum(1 for code, _ in results if code == 409)
                    others += sum(1 for code, _ in results if code not in (200, 409))
                    claim_latencies += [t for _, t in results]
                print(
                    f"claim race N={n:<3} x {rounds} rounds: winners {winners} (expected {rounds}), "
                    f"losers {losers}, other {others}, p50 {ms(percentile(claim_latencies, 50))}, "
                    f"p95 {ms(percentile(claim_latencies, 95))}"
                )
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.escalations, args.rounds))
