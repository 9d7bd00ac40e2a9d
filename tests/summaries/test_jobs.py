"""The summary worker: every escalation's summary reaches ready, at most one model call, never stuck.

Against local servers speaking the Anthropic and OpenAI APIs (tests/fakes/llm.py), over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.summaries import jobs
from relaydesk.summaries import service as summaries
from relaydesk.summaries.jobs import MAX_ATTEMPTS, SummaryQueue
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.suggestions import suggest
from relaydesk.worker import Worker
from tests.factories import escalate, make_account, make_session, make_step, make_user
from tests.fakes.llm import TEST_API_KEY, FakeOpenAI
from tests.summaries.conftest import (
    GOOD_ASSESSMENT,
    SECRETS,
    Team,
    Vendor,
    drain,
    load_handoff,
    resolved_session,
    summary_of,
    vpn_history,
    vpn_session,
)

ROOT = Path(__file__).resolve().parents[2]


def summary_events(conn: psycopg.Connection, handoff: Handoff) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT payload FROM events WHERE type = 'summary.ready' AND handoff_id = %s ORDER BY seq",
        (handoff.id,),
    ).fetchall()
    return [row[0] for row in rows]


def model_runs(conn: psycopg.Connection, handoff: Handoff) -> list[dict[str, Any]]:
    cur = conn.execute(
        "SELECT purpose, model, parsed, input_tokens, output_tokens, error, input_text, raw_output, "
        "prompt_version, attempts, latency_ms FROM model_runs WHERE handoff_id = %s ORDER BY created_at",
        (handoff.id,),
    )
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# --- no model configured ---------------------------------------------------------------------------------


async def test_offline_only_goes_straight_to_ready(
    db: Database, team: Team, admin_conn: psycopg.Connection
) -> None:
    await vpn_history(db, team.senior)
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    assert (await load_handoff(db, handoff)).summary_state == "pending"

    queue = SummaryQueue(config=None)
    assert await drain(queue, db) == 1
    assert await drain(queue, db) == 0

    summary = await summary_of(db, handoff)
    assert summary.state == "ready" and summary.engine == "offline" and summary.fallback_reason is None
    # Two resolved VPN sessions fixed the same way: a close, confirmed match.
    assert summary.confidence == "high" and summary.suggested_steps
    assert (await load_handoff(db, handoff)).summary_state == "ready"
    assert summary_events(admin_conn, handoff) == [
        {"stage": "ready", "engine": "offline", "confidence": "high", "fallback_reason": None}
    ]
    assert model_runs(admin_conn, handoff) == []


async def test_a_park_makes_no_summary_job(db: Database, team: Team) -> None:
    session = await make_session(db, team.junior)
    async with db.uow(team.account.id) as uow:
        await handoffs.create_handoff(uow, team.junior.actor, session.id, HandoffCreate(intent="park"))
    assert await drain(SummaryQueue(config=None), db) == 0


# --- with a model -----------------------------------------------------------------------------------------


async def test_a_good_reply_refines_the_draft_with_one_request(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    history = await vpn_history(db, team.senior)
    session = await vpn_session(db, team.junior)
    handoff = await escalate(db, team.junior, session)

    await drain(SummaryQueue(config=vendor.config()), db)

    summary = await summary_of(db, handoff)
    assert summary.state == "ready"
    assert summary.engine == vendor.model and summary.fallback_reason is None
    assert summary.likely_cause == GOOD_ASSESSMENT["likely_cause"]
    assert summary.ticket_note == GOOD_ASSESSMENT["ticket_note"]
    assert summary.suggested_steps == GOOD_ASSESSMENT["suggested_steps"]
    assert summary.usage is not None and summary.usage.input_tokens == 1200
    assert summary.prompt_version == "summary-v1"
    # S1 and P1 came back as the ids of the first step and the best similar session.
    assert summary.evidence[0] == str(handoff.snapshot["steps"][0]["id"])
    assert summary.evidence[1] == str(summary.similar_sessions[0].id)
    assert {s.id for s in summary.similar_sessions} <= {h.id for h in history}
    assert len(vendor.fake.requests) == 1

    stages = [e["stage"] for e in summary_events(admin_conn, handoff)]
    assert stages == ["draft", "ready"]
    (run,) = model_runs(admin_conn, handoff)
    assert run["purpose"] == "assessment" and run["model"] == vendor.model and run["parsed"] is True
    assert (run["input_tokens"], run["output_tokens"]) == (1200, 240)
    assert run["input_text"] == vendor.fake.requests[0].raw.decode()
    assert json.loads(run["raw_output"]) == GOOD_ASSESSMENT
    assert run["prompt_version"] == "summary-v1" and run["error"] is None


async def test_exactly_one_request_per_handoff(db: Database, team: Team, vendor: Vendor) -> None:
    sessions = [await vpn_session(db, team.junior) for _ in range(4)]
    escalated = [await escalate(db, team.junior, s) for s in sessions]
    queue = SummaryQueue(config=vendor.config())

    await drain(queue, db)
    await drain(queue, db)

    assert len(vendor.fake.requests) == 4
    for handoff in escalated:
        assert (await summary_of(db, handoff)).engine == vendor.model


@pytest.mark.parametrize(
    ("mode", "reason", "max_requests"),
    [
        ("hang", "timed out after 1 s", 1),
        ("error_500", "provider returned HTTP 500", 2),
        ("rate_limited", "rate limited (HTTP 429)", 2),
        ("malformed", "reply was not valid JSON", 1),
        ("wrong_shape", "reply did not match the schema", 1),
        ("refusal", "model refused", 1),
    ],
)
async def test_a_failed_call_leaves_the_offline_summary_ready_with_the_reason(
    db: Database,
    team: Team,
    vendor: Vendor,
    admin_conn: psycopg.Connection,
    mode: Any,
    reason: str,
    max_requests: int,
) -> None:
    await vpn_history(db, team.senior)
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    vendor.fake.mode = mode
    vendor.fake.retry_after = "0"
    queue = SummaryQueue(config=vendor.config(deadline=1.0))

    started = time.monotonic()
    await drain(queue, db)
    assert time.monotonic() - started < 1.0 + 4.0  # the deadline, plus the writes on a busy machine

    summary = await summary_of(db, handoff)
    assert summary.state == "ready" and summary.engine == "offline"
    assert summary.fallback_reason is not None
    assert summary.fallback_reason.startswith(f"{vendor.model}: {reason}"), summary.fallback_reason
    assert summary.likely_cause.startswith("Probably the same as a resolved session")  # the offline one
    assert [e["stage"] for e in summary_events(admin_conn, handoff)] == ["draft", "ready"]
    (run,) = model_runs(admin_conn, handoff)
    assert run["parsed"] is False and run["error"].startswith(reason)
    assert 1 <= len(vendor.fake.requests) <= max_requests

    # Nothing more is ever sent for it.
    vendor.fake.mode = "good"
    await drain(queue, db)
    assert len(vendor.fake.requests) <= max_requests


async def test_no_secret_typed_into_the_session_reaches_the_model(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    await resolved_session(
        db,
        team.senior,
        problem="VPN drops every few minutes for remote staff",
        resolution=f"Lowered the MTU. The firewall admin password is {SECRETS[0]} (rotated).",
    )
    session = await vpn_session(db, team.junior, with_secrets=True)
    handoff = await escalate(
        db, team.junior, session, reason=f"Stuck; the VPN pw={SECRETS[0]}", notes=f"key {SECRETS[1]}"
    )

    await drain(SummaryQueue(config=vendor.config()), db)

    (request,) = vendor.fake.requests
    sent = request.raw.decode()
    for secret in SECRETS:
        assert secret not in sent
        assert secret not in json.dumps(request.body)
    assert "[redacted password]" in sent and "[redacted api key]" in sent and "[redacted token]" in sent
    stored = json.dumps((await load_handoff(db, handoff)).summary)
    (run,) = model_runs(admin_conn, handoff)
    for secret in SECRETS:
        assert secret not in stored and secret not in run["input_text"]


async def test_similar_sessions_never_come_from_another_account(
    db: Database, team: Team, vendor: Vendor
) -> None:
    other = await make_account(db, name="Elsewhere IT")
    stranger = await make_user(db, other, role="engineer")
    await vpn_history(db, stranger)

    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    await drain(SummaryQueue(config=vendor.config()), db)

    summary = await summary_of(db, handoff)
    assert summary.similar_sessions == []
    assert "Similar resolved sessions (best match first)\n\nNone found." in vendor.fake.requests[
        0
    ].raw.decode("unicode_escape")


# --- a worker that stops or dies ----------------------------------------------------------------------------


async def wait_for(condition: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_a_worker_cancelled_during_the_call_finishes_with_the_draft(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    vendor.fake.mode = "hang"
    worker = Worker(db, [SummaryQueue(config=vendor.config(deadline=30))], poll_seconds=0.1)
    task = asyncio.create_task(worker.run())
    await wait_for(lambda: len(vendor.fake.requests) == 1)

    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await wait_for(
        lambda: (
            admin_conn.execute("SELECT summary_state FROM handoffs WHERE id = %s", (handoff.id,)).fetchone()
            == ("ready",)
        )
    )

    summary = await summary_of(db, handoff)
    assert summary.engine == "offline" and summary.fallback_reason == summaries.WORKER_STOPPED
    (run,) = model_runs(admin_conn, handoff)
    assert run["error"] == summaries.WORKER_STOPPED

    vendor.fake.mode = "good"
    await drain(SummaryQueue(config=vendor.config()), db)
    assert len(vendor.fake.requests) == 1
    assert [e["stage"] for e in summary_events(admin_conn, handoff)] == ["draft", "ready"]


async def test_a_worker_killed_during_the_call_is_finished_by_the_next_without_a_second_call(
    db: Database, database_url: str, team: Team, admin_conn: psycopg.Connection
) -> None:
    await vpn_history(db, team.senior)
    with FakeOpenAI(payload=GOOD_ASSESSMENT, mode="hang") as fake:
        handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
        deadline = 2.0
        # The worker's lease outlives the deadline by 6 s here (15 s in production): long enough that
        # the kill and the next look happen inside it even on a loaded machine.
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.summaries.worker_process",
            database_url,
            "openai:gpt-test-1",
            fake.base_url,
            str(deadline),
            "6",
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            await wait_for(lambda: len(fake.requests) == 1, within=30)
            state = admin_conn.execute("SELECT summary_state FROM handoffs WHERE id = %s", (handoff.id,))
            assert state.fetchone() == ("draft",)
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()

        fake.mode = "good"
        queue = SummaryQueue(
            config=LlmConfig("openai:gpt-test-1", fake.base_url, deadline, api_key=TEST_API_KEY)
        )
        # Until the dead worker's lease runs out, nobody touches it.
        assert await drain(queue, db) == 0
        lease = admin_conn.execute(
            "SELECT lease_until - now() FROM summary_jobs WHERE handoff_id = %s", (handoff.id,)
        ).fetchone()[0]
        await asyncio.sleep(lease.total_seconds() + 0.2)
        assert await drain(queue, db) == 1

        summary = await summary_of(db, handoff)
        assert summary.state == "ready" and summary.engine == "offline"
        assert summary.fallback_reason == summaries.WORKER_STOPPED
        assert summary.likely_cause.startswith("Probably the same as a resolved session")
        assert len(fake.requests) == 1  # no second call
        assert [e["stage"] for e in summary_events(admin_conn, handoff)] == ["draft", "ready"]
        assert await drain(queue, db) == 0


async def test_two_workers_at_once_make_one_draft_and_one_call_per_handoff(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    escalated = [await escalate(db, team.junior, await vpn_session(db, team.junior)) for _ in range(6)]
    vendor.fake.delay = 0.2
    first, second = SummaryQueue(config=vendor.config()), SummaryQueue(config=vendor.config())

    await asyncio.gather(drain(first, db), drain(second, db), drain(first, db))

    assert len(vendor.fake.requests) == 6
    for handoff in escalated:
        assert (await summary_of(db, handoff)).engine == vendor.model
        assert [e["stage"] for e in summary_events(admin_conn, handoff)] == ["draft", "ready"]
        assert len(model_runs(admin_conn, handoff)) == 1


async def test_busy_call_slots_leave_a_draft_that_is_called_later(
    db: Database, team: Team, vendor: Vendor
) -> None:
    escalated = [await escalate(db, team.junior, await vpn_session(db, team.junior)) for _ in range(3)]
    vendor.fake.delay = 0.3
    queue = SummaryQueue(config=vendor.config(), max_calls=1)

    assert await queue.run_once(db) and await queue.run_once(db) and await queue.run_once(db)
    states = [(await load_handoff(db, h)).summary_state for h in escalated]
    assert states == ["draft", "draft", "draft"] and len(queue.calls) == 1

    await drain(queue, db)
    assert len(vendor.fake.requests) == 3
    for handoff in escalated:
        assert (await summary_of(db, handoff)).engine == vendor.model


async def test_new_escalations_are_drafted_before_drafts_waiting_for_a_call(
    db: Database, team: Team, vendor: Vendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "DUE_BATCH", 1)  # the oldest due row alone would be a waiting draft
    first, second = [await escalate(db, team.junior, await vpn_session(db, team.junior)) for _ in range(2)]
    vendor.fake.delay = 0.5
    queue = SummaryQueue(config=vendor.config(), max_calls=1)
    assert await queue.run_once(db) and await queue.run_once(db)  # first: calling; second: waiting
    third = await escalate(db, team.junior, await vpn_session(db, team.junior))

    assert await queue.run_once(db)

    states = [(await load_handoff(db, h)).summary_state for h in (first, second, third)]
    assert states == ["draft", "draft", "draft"] and len(vendor.fake.requests) <= 1
    await drain(queue, db)
    assert len(vendor.fake.requests) == 3


async def test_a_draft_left_when_the_model_was_removed_is_finished_offline(
    db: Database, team: Team, vendor: Vendor
) -> None:
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    with_model = SummaryQueue(config=vendor.config())
    with_model.max_calls = 0  # every call slot busy: the draft waits
    assert await with_model.run_once(db)
    assert (await load_handoff(db, handoff)).summary_state == "draft"

    assert await drain(SummaryQueue(config=None), db) == 1

    summary = await summary_of(db, handoff)
    assert summary.state == "ready" and summary.engine == "offline" and summary.fallback_reason is None
    assert vendor.fake.requests == []


async def test_a_draft_that_keeps_failing_still_reaches_ready(
    db: Database, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(jobs, "handoff_material", broken)
    monkeypatch.setattr(jobs, "RETRY_AFTER_SECONDS", 0.1)
    queue = SummaryQueue(config=None)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await queue.run_once(db)
        state = (await load_handoff(db, handoff)).summary_state
        assert state == ("ready" if attempt == MAX_ATTEMPTS else "pending")
        assert not await queue.run_once(db)  # not again at once
        await asyncio.sleep(0.1 * attempt + 0.05)
    assert not await queue.run_once(db)

    summary = await summary_of(db, handoff)
    assert summary.fallback_reason == "the summary could not be made: RuntimeError: search index unavailable"
    assert summary.confidence == "low"


async def test_the_worker_is_woken_by_the_escalation_commit(db: Database, team: Team) -> None:
    worker = Worker(db, [SummaryQueue(config=None)], poll_seconds=60)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)  # listening, and idle until the 60 s poll
        handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
        started = time.monotonic()
        while (await load_handoff(db, handoff)).summary_state != "ready":
            assert time.monotonic() - started < 5, "NOTIFY did not wake the worker"
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_suggestions_shown_before_escalating_reach_the_summary(db: Database, team: Team) -> None:
    await vpn_history(db, team.senior)
    session = await vpn_session(db, team.junior)
    shown = await suggest(db, team.junior.actor, session.id, config=None)
    (suggested,) = shown.suggested_steps
    assert suggested.startswith("Lower the") and "MTU to 1400" in suggested
    await make_step(db, team.junior, session, action=suggested, result="Still drops")
    handoff = await escalate(db, team.junior, session)

    await drain(SummaryQueue(config=None), db)

    (earlier,) = (await summary_of(db, handoff)).suggested_before
    assert earlier.step == suggested
    assert earlier.tried and earlier.outcome == "failed"
