"""The prompt has a size limit: the most recent and the failed steps stay, the rest are counted."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from relaydesk.summaries import prompts
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.llm import LlmConfig, assess
from relaydesk.summaries.schemas import StepMaterial, SummaryMaterial
from tests.factories import escalate, make_session, make_step
from tests.summaries.conftest import Team, Vendor, drain

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _material(n: int) -> SummaryMaterial:
    steps = []
    for i in range(n):
        outcome = "failed" if i % 100 == 7 else ("partial" if i % 10 == 3 else "info")
        steps.append(
            StepMaterial(
                id=uuid.uuid4(),
                action=f"Step {i}: checked the event log on FS01 and the DFS replication backlog again",
                result=f"Backlog {i * 3} files, no new errors since the last check at {i} minutes",
                outcome=outcome,  # type: ignore[arg-type]
                author="Jamie Junior",
                at=START + timedelta(minutes=i),
            )
        )
    return SummaryMaterial(problem="DFS replication stalls between the two file servers", steps=steps)


def test_1000_steps_fit_the_limit_with_the_failed_and_the_latest_kept() -> None:
    material = _material(1000)
    assert len(prompts.render_material(material)) > 150_000  # the uncut prompt
    text, cut = prompts.fit_material(material, 60_000)

    assert len(text) <= 60_000
    assert cut is not None and cut.startswith("steps omitted") is False
    failed = [i for i, s in enumerate(material.steps) if s.outcome == "failed"]
    for i in failed:
        assert f"[S{i + 1}] " in text  # every failed step, with its own label
    assert "[S1000] " in text and "[S999] " in text  # the latest
    assert "[S1] " not in text  # the oldest info step went
    # The omitted ones are counted by outcome where they were, and the run says what was cut.
    assert "steps omitted to fit the prompt size limit:" in text
    kept = sum(1 for i in range(1000) if f"[S{i + 1}] " in text)
    assert cut.startswith(f"{1000 - kept} steps omitted to fit the prompt size limit: ")
    assert "info" in cut and "partial" in cut and f"kept {kept} of 1000 steps" in cut


def test_a_prompt_within_the_limit_is_not_touched() -> None:
    material = _material(20)
    assert prompts.fit_material(material, 60_000) == (prompts.render_material(material), None)


def test_the_limit_is_a_setting() -> None:
    settings = Settings(llm_model="openai:gpt-test-1", llm_max_prompt_chars=12_000)
    config = LlmConfig.from_settings(settings)
    assert config is not None and config.max_prompt_chars == 12_000


async def test_the_request_stays_within_the_limit_and_the_run_says_what_was_cut(
    vendor: Vendor,
) -> None:
    config = dataclasses.replace(vendor.config(), max_prompt_chars=20_000)
    run = await assess(_material(1000), config)
    (request,) = vendor.fake.requests
    assert len(request.raw) < 20_000 + 8_000  # the material plus instructions and the output schema
    assert run.prompt_cut is not None and "steps omitted" in run.prompt_cut


async def test_the_stored_model_run_records_the_cut(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    session = await make_session(db, team.junior, problem="DFS replication stalls between file servers")
    for i in range(60):
        await make_step(
            db,
            team.junior,
            session,
            action=f"Checked the backlog again, round {i} " + "x" * 150,
            result="same",
        )
    handoff = await escalate(db, team.junior, session)
    config = dataclasses.replace(vendor.config(), max_prompt_chars=5_000)
    await drain(SummaryQueue(config=config), db)
    (row,) = admin_conn.execute(
        "SELECT prompt_cut, input_text FROM model_runs WHERE handoff_id = %s", (handoff.id,)
    ).fetchall()
    assert row[0] is not None and "steps omitted" in row[0] and "of 60 steps" in row[0]
    assert "steps omitted to fit the prompt size limit" in row[1]
