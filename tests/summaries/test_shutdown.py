"""SIGTERM to a real `relaydesk worker` during a model call: the run is recorded, the summary final."""

from __future__ import annotations

import signal
from pathlib import Path

import psycopg

from relaydesk.db.uow import Database
from relaydesk.summaries import service as summaries
from tests.factories import escalate
from tests.fakes.llm import TEST_API_KEY, FakeAnthropic
from tests.processes import start_relaydesk, stop, wait_until
from tests.summaries.conftest import GOOD_ASSESSMENT, Team, summary_of, vpn_history, vpn_session

MODEL = "anthropic:claude-test-1"


def _env(database_url: str, fake: FakeAnthropic, grace: float) -> dict[str, str]:
    return {
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SECRET_KEY": "test-secret-key",
        "RELAYDESK_WORKER_POLL_SECONDS": "0.2",
        "RELAYDESK_LLM_MODEL": MODEL,
        "RELAYDESK_LLM_BASE_URL": fake.base_url,
        "ANTHROPIC_API_KEY": TEST_API_KEY,
        "RELAYDESK_SUMMARY_DEADLINE_SECONDS": "30",
        "RELAYDESK_SHUTDOWN_GRACE_SECONDS": str(grace),
    }


def _runs(conn: psycopg.Connection, handoff_id: object) -> list[tuple[str | None, str]]:
    return conn.execute(
        "SELECT error, model FROM model_runs WHERE handoff_id = %s ORDER BY created_at", (handoff_id,)
    ).fetchall()


def _state(conn: psycopg.Connection, handoff_id: object) -> str:
    row = conn.execute("SELECT summary_state FROM handoffs WHERE id = %s", (handoff_id,)).fetchone()
    assert row is not None
    return str(row[0])


async def test_a_call_that_answers_within_the_grace_period_is_finished_and_stored(
    db: Database, database_url: str, team: Team, admin_conn: psycopg.Connection, tmp_path: Path
) -> None:
    await vpn_history(db, team.senior)
    with FakeAnthropic(payload=GOOD_ASSESSMENT) as fake:
        fake.delay = 3.0
        worker = await start_relaydesk("worker", env=_env(database_url, fake, 20), log=tmp_path / "w.log")
        try:
            handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
            await wait_until(lambda: len(fake.requests) == 1, "the model call", within=90)
            worker.send_signal(signal.SIGTERM)
            assert await stop(worker) == 0, (tmp_path / "w.log").read_text()[-2000:]
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    # Done before the process exited: not a fallback, not waiting for a lease.
    assert _state(admin_conn, handoff.id) == "ready"
    summary = await summary_of(db, handoff)
    assert summary.engine != "offline" and summary.fallback_reason is None
    assert _runs(admin_conn, handoff.id) == [(None, MODEL)]


async def test_a_call_still_running_after_the_grace_period_is_recorded_and_the_draft_stands(
    db: Database, database_url: str, team: Team, admin_conn: psycopg.Connection, tmp_path: Path
) -> None:
    await vpn_history(db, team.senior)
    with FakeAnthropic(payload=GOOD_ASSESSMENT, mode="hang") as fake:
        worker = await start_relaydesk("worker", env=_env(database_url, fake, 1), log=tmp_path / "w.log")
        try:
            handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
            await wait_until(lambda: len(fake.requests) == 1, "the model call", within=90)
            worker.send_signal(signal.SIGTERM)
            assert await stop(worker, within=30) == 0, (tmp_path / "w.log").read_text()[-2000:]
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        assert len(fake.requests) == 1  # one call, not a second one on the way out
    assert _state(admin_conn, handoff.id) == "ready"  # at once, not after the lease
    summary = await summary_of(db, handoff)
    assert summary.engine == "offline" and summary.fallback_reason == summaries.WORKER_STOPPED
    assert _runs(admin_conn, handoff.id) == [(summaries.WORKER_STOPPED, MODEL)]
