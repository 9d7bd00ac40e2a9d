"""Escalation analytics at scale: 100,000 handoffs and 1,000,000 steps over 90 days in one account.

    .venv/bin/python -m benchmarks.analytics [--runs 30] [--python-runs 5] [--keep]

Generates the data with SQL generate_series into a scratch database (the machine's PostgreSQL on
127.0.0.1:5432 when it answers, else the embedded one), then, in one run:
  * GET /api/v1/analytics/escalations?period=7d|30d|90d against a real `relaydesk serve`: p50, p95;
  * the same figures computed by fetching the rows into Python (raw psycopg, RLS-bound like the
    app, no HTTP in the way, so the comparison favours Python): p50, p95, and the ratio;
  * a check that both ways give the same figures, and EXPLAIN of the report query per period.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks._support import ms, percentile, scratch_database, serve
from relaydesk.accounts import service as accounts
from relaydesk.analytics import service as analytics
from relaydesk.analytics.schemas import ReportFilters
from relaydesk.db.uow import ACCOUNT_SETTING, APP_ROLE, Database
from relaydesk.db.urls import libpq_url

HANDOFFS = 100_000
STEPS_PER_SESSION = 10  # 1,000,000 steps
ENGINEERS = 50

# r < 0.68 claimed with a first action, < 0.80 claimed without, < 0.88 withdrawn, else still open.
GENERATE = [
    """
    CREATE TEMP TABLE plan AS
    SELECT i, gen_random_uuid() AS session_id, gen_random_uuid() AS handoff_id,
           now() - random() * interval '90 days' AS created_at,
           make_interval(secs => 5 + random() * random() * 1800) AS pickup,
           make_interval(secs => 1 + random() * random() * 900) AS action,
           random() AS r,
           (%(users)s::uuid[])[1 + i %% %(n)s] AS escalator,
           (%(users)s::uuid[])[1 + (i + 7) %% %(n)s] AS claimer
    FROM generate_series(1, %(handoffs)s) AS i
    """,
    """
    INSERT INTO sessions (id, account_id, owner_id, assignee_id, problem_summary, category, client_name,
                          priority, status, created_at, updated_at)
    SELECT session_id, %(account)s, escalator, CASE WHEN r < 0.80 THEN claimer END,
           'Outlook is failing to sync email, case ' || i,
           (ARRAY['Email', 'Network', 'Printing', 'Identity'])[1 + i %% 4],
           'Client ' || (i %% 40), 'normal',
           CASE WHEN r < 0.80 THEN 'active' WHEN r < 0.88 THEN 'active' ELSE 'escalated' END,
           created_at - interval '1 hour', created_at
    FROM plan
    """,
    """
    INSERT INTO handoffs (id, account_id, session_id, intent, status, created_by_id, snapshot, summary_state,
                          claimed_by_id, claimed_at, first_claimed_at, release_count, created_at, updated_at)
    SELECT handoff_id, %(account)s, session_id, 'escalate',
           CASE WHEN r < 0.80 THEN 'claimed' WHEN r < 0.88 THEN 'withdrawn' ELSE 'open' END,
           escalator, '{}'::jsonb, 'ready',
           CASE WHEN r < 0.80 THEN claimer END,
           CASE WHEN r < 0.80 THEN created_at + pickup END,
           CASE WHEN r < 0.80 THEN created_at + pickup END,
           0, created_at, created_at
    FROM plan
    """,
    # six steps by the escalator before the escalation, four after it: by the claimer after the
    # claim when there was a first action, else the escalator's (which never count)
    """
    INSERT INTO steps (id, account_id, session_id, author_id, action, result, outcome, created_at)
    SELECT gen_random_uuid(), %(account)s, p.session_id,
           CASE WHEN k > 6 AND p.r < 0.68 THEN p.claimer ELSE p.escalator END,
           'Step ' || k || ': recreated the Outlook profile', 'Same error', 'failed',
           CASE WHEN k > 6 AND p.r < 0.68 THEN p.created_at + p.pickup + p.action + (k - 7) * interval '90 s'
                ELSE p.created_at - (11 - k) * interval '2 min' END
    FROM plan p, generate_series(1, %(per_session)s) AS k
    """,
]


async def _account(db: Database) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
    async with db.uow() as uow:
        account = await accounts.create_account(uow, "Bench MSP")
        owner = await accounts.add_user(
            uow, account.id, email="owner@bench.test", name="Olga Owner", role="owner", password=None
        )
        token, _ = await accounts.issue_api_token(uow, owner, label="bench")
        users = [
            (
                await accounts.add_user(
                    uow,
                    account.id,
                    email=f"eng{n}@bench.test",
                    name=f"Engineer {n}",
                    role="engineer",
                    password=None,
                )
            ).id
            for n in range(ENGINEERS)
        ]
    return account.id, token, users


def first_action_backfill() -> str:
    """The migration's back-fill of `handoffs.first_action_at` from the steps, as the rows here are
    made the old way (steps inserted, nothing stamped on the handoff)."""
    (path,) = (Path(__file__).parents[1] / "migrations" / "versions").glob("*_first_action.py")
    spec = importlib.util.spec_from_file_location("first_action_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL_SQL)


def generate(url: str, account_id: uuid.UUID, users: list[uuid.UUID]) -> float:
    start = time.perf_counter()
    params = {
        "account": account_id,
        "users": [str(u) for u in users],
        "n": len(users),
        "handoffs": HANDOFFS,
        "per_session": STEPS_PER_SESSION,
    }
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        with conn.transaction():
            for statement in GENERATE:
                conn.execute(statement, params)
            conn.execute(first_action_backfill())
        conn.execute("VACUUM ANALYZE sessions, handoffs, steps")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM handoffs), (SELECT count(*) FROM steps)"
        ).fetchone()
    assert counts == (HANDOFFS, HANDOFFS * STEPS_PER_SESSION), counts
    return time.perf_counter() - start


# --- the same figures, by fetching the rows into Python ------------------------------------


def _pct(values: list[float], q: float) -> float | None:
    """percentile_cont: linear interpolation between closest ranks."""
    if not values:
        return None
    pos = q * (len(values) - 1)
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


def _stats(values: list[float]) -> dict[str, float | None]:
    values.sort()
    return {
        "measured": len(values),
        "avg": statistics.fmean(values) if values else None,
        "median": _pct(values, 0.5),
        "p90": _pct(values, 0.9),
        "p95": _pct(values, 0.95),
    }


async def python_report(url: str, account_id: uuid.UUID, start: datetime, end: datetime) -> dict[str, Any]:
    drift = analytics.CLOCK_DRIFT_TOLERANCE
    async with await psycopg.AsyncConnection.connect(libpq_url(url)) as conn:
        await conn.execute(f"SET ROLE {APP_ROLE}")
        await conn.execute("SELECT set_config(%s, %s, true)", (ACCOUNT_SETTING, str(account_id)))
        cur = await conn.execute(
            "SELECT session_id, status, created_at, claimed_at, released_at, claimed_by_id, release_count "
            "FROM handoffs WHERE account_id = %s AND intent = 'escalate' "
            "AND created_at >= %s AND created_at < %s",
            (account_id, start, end),
        )
        handoffs = await cur.fetchall()
        cur = await conn.execute(
            "SELECT st.session_id, st.author_id, st.created_at FROM steps st "
            "JOIN handoffs h ON h.session_id = st.session_id "
            "WHERE h.account_id = %s AND h.intent = 'escalate' AND h.created_at >= %s AND h.created_at < %s",
            (account_id, start, end),
        )
        steps: dict[tuple[Any, Any], list[datetime]] = {}
        for session_id, author_id, at in await cur.fetchall():
            steps.setdefault((session_id, author_id), []).append(at)
    pickups: list[float] = []
    actions: list[float] = []
    claimed = 0
    for session_id, _status, created, claimed_at, released, claimer, _releases in handoffs:
        if claimed_at is None:
            continue
        claimed += 1
        pickups.append(max((claimed_at - created).total_seconds(), 0.0))
        floor = max(x for x in (claimed_at, created, released) if x is not None) - drift
        after = [at for at in steps.get((session_id, claimer), ()) if at >= floor]
        if after:
            actions.append(max((min(after) - claimed_at).total_seconds(), 0.0))
    return {
        "escalations": len(handoffs),
        "claimed": claimed,
        "pickup": _stats(pickups),
        "action": _stats(actions),
    }


# --- EXPLAIN -----------------------------------------------------------------------------------


def explain(url: str, account_id: uuid.UUID, start: datetime, end: datetime) -> list[str]:
    sql, _ = analytics.report_sql(ReportFilters())
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")
        conn.execute("SELECT set_config(%s, %s, true)", (ACCOUNT_SETTING, str(account_id)))
        # psycopg placeholders for the :named ones the app binds through SQLAlchemy
        for name in ("account_id", "start_at", "end_before"):
            sql = sql.replace(f":{name}", f"%({name})s")
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql,
            {
                "account_id": account_id,
                "start_at": start,
                "end_before": end,
            },
        ).fetchall()
    return [r[0] for r in rows]


async def main(runs: int, python_runs: int, keep: bool) -> None:
    url = scratch_database("analytics")
    db = Database(url, pool_size=2)
    account_id, token, users = await _account(db)
    await db.dispose()
    took = generate(url, account_id, users)
    print(
        f"generated {HANDOFFS:,} handoffs and {HANDOFFS * STEPS_PER_SESSION:,} steps over 90 days "
        f"in {took:.1f} s"
    )

    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, dict[str, Any]] = {}
    with serve(url, env={"RELAYDESK_RUN_WORKER": "false"}) as base:
        async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:
            for period in ("7d", "30d", "90d"):
                url_path = f"/api/v1/analytics/escalations?period={period}"
                for _ in range(3):  # warm the pool, the plan cache and the buffers
                    assert (await client.get(url_path)).status_code == 200
                latencies = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    response = await client.get(url_path)
                    latencies.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.text
                results[period] = {"api": latencies, "report": response.json()}

    for period, result in results.items():
        report = result["report"]
        start = datetime.fromisoformat(report["period"]["start"]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(report["period"]["end"]).replace(tzinfo=UTC) + timedelta(days=1)
        py_latencies = []
        for _ in range(python_runs):
            t0 = time.perf_counter()
            py = await python_report(url, account_id, start, end)
            py_latencies.append(time.perf_counter() - t0)
        # both ways must agree, or the comparison means nothing
        assert py["escalations"] == report["counts"]["escalations"], (py, report["counts"])
        assert py["action"]["measured"] == report["time_to_first_action"]["measured"]
        for key, name in (("pickup", "time_to_pickup"), ("action", "time_to_first_action")):
            for stat in ("avg", "median", "p90", "p95"):
                assert abs(py[key][stat] - report[name][f"{stat}_seconds"]) < 0.01, (period, key, stat)
        api50, api95 = percentile(result["api"], 50), percentile(result["api"], 95)
        py50, py95 = percentile(py_latencies, 50), percentile(py_latencies, 95)
        c = report["counts"]
        print(
            f"period {period:>3}: {c['escalations']:>6,} escalations, {c['claimed_with_action']:>6,} "
            f"with a first action | endpoint p50 {ms(api50)}, p95 {ms(api95)} ({runs} runs) | "
            f"rows into Python p50 {ms(py50)}, p95 {ms(py95)} ({python_runs} runs) | "
            f"Python/SQL at p50 {py50 / api50:.1f}x"
        )
        pickup, action = report["time_to_pickup"], report["time_to_first_action"]
        print(
            f"            median pickup {pickup['median_seconds']:.1f} s, median first action "
            f"{action['median_seconds']:.1f} s, conversion {report['conversion']:.3f} (same both ways)"
        )
        plan = explain(url, account_id, start, end)
        used = sorted(
            {
                name
                for name in ("ix_handoffs_escalations_created", "ix_steps_session_author_created")
                if any(name in line for line in plan)
            }
        )
        scans = [line.strip() for line in plan if "Scan" in line]
        print(f"            EXPLAIN uses: {', '.join(used) or 'no analytics index'}")
        for line in scans:
            print(f"              {line}")
        print(f"              {next(line for line in plan if 'Execution Time' in line).strip()}")

    if not keep:
        base_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(libpq_url(base_url), autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "relaydesk_bench_analytics" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="endpoint requests per period")
    parser.add_argument("--python-runs", type=int, default=5, help="fetch-into-Python runs per period")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.python_runs, args.keep))
