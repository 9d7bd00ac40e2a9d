"""A finding added while an escalation waits refreshes its assessment, and the one model call per
escalation still holds: the refresh after the call is the offline engine's (issue 15)."""

from __future__ import annotations

import pytest

from relaydesk.db.uow import Database
from relaydesk.handoffs import findings
from relaydesk.sessions import hooks
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import StepCreate
from relaydesk.summaries import refresh
from relaydesk.summaries.jobs import SummaryQueue
from tests.factories import escalate
from tests.summaries.conftest import Team, Vendor, drain, load_handoff, summary_of, vpn_session


@pytest.fixture(autouse=True)
def _hooks() -> None:
    # what app.py registers, with no quiet period so the test need not wait
    hooks.on_step_change("handoffs.story", findings.keep_story)
    hooks.on_step_change("summaries.refresh", refresh.refresher(0))


async def _finding(db: Database, team: Team, session_id, text: str) -> None:  # type: ignore[no-untyped-def]
    async with db.uow(team.junior.actor.account_id) as uow:
        await sessions.add_step(uow, team.junior.actor, session_id, StepCreate(action=text, outcome="info"))


async def test_a_finding_after_the_model_call_refreshes_offline(
    db: Database, team: Team, vendor: Vendor
) -> None:
    session = await vpn_session(db, team.junior)
    handoff = await escalate(db, team.junior, session)
    queue = SummaryQueue(config=vendor.config())
    await drain(queue, db)
    assert (await summary_of(db, handoff)).engine == vendor.model
    assert len(vendor.fake.requests) == 1

    await _finding(db, team, session.id, "The drops began after the FortiClient 7.2 update")
    await _finding(db, team, session.id, "Wired clients in the office are fine")
    assert (await load_handoff(db, handoff)).summary_state == "pending"
    await drain(queue, db)

    refreshed = await summary_of(db, handoff)
    assert refreshed.state == "ready" and refreshed.engine == "offline"
    assert "FortiClient 7.2" in refreshed.model_dump_json() or "Wired clients" in refreshed.model_dump_json()
    assert len(vendor.fake.requests) == 1  # no second call for this escalation


async def test_without_a_model_a_finding_refreshes_once(db: Database, team: Team) -> None:
    session = await vpn_session(db, team.junior)
    handoff = await escalate(db, team.junior, session)
    queue = SummaryQueue(config=None)
    assert await drain(queue, db) == 1
    await _finding(db, team, session.id, "Only the finance VLAN drops")
    await _finding(db, team, session.id, "The switch logs show STP changes")
    assert await drain(queue, db) == 1  # two findings, one refresh
    assert (await summary_of(db, handoff)).state == "ready"
