"""Fixtures for the summaries tests: resolved history, the summary worker, the fake model servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.schemas import Summary
from tests.factories import Member, make_account, make_session, make_step, make_user
from tests.fakes.llm import TEST_API_KEY, FakeAnthropic, FakeOpenAI

GOOD_ASSESSMENT: dict[str, Any] = {
    "ticket_note": (
        "The finance team's VPN drops every five minutes. Reinstalling the client did not help; a packet "
        "capture showed fragmented packets. The likely cause is an MTU mismatch. Next, lower the MTU."
    ),
    "what_we_know": ["Drops every 5 minutes", "Reinstalling the client did not help"],
    "likely_cause": "An MTU mismatch on the VPN tunnel fragments packets.",
    "suggested_steps": ["Lower the tunnel MTU to 1400", "Check MSS clamping on the firewall"],
    "confidence": "medium",
    "evidence": ["S1", "P1"],
}

# Typed into the session by a careless technician; none may reach a model.
SECRETS = ("Winter2024!Vpn", "AKIAIOSFODNN7EXAMPLE", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")


async def resolved_session(
    db: Database,
    member: Member,
    *,
    problem: str,
    resolution: str,
    steps: tuple[tuple[str, str | None, str], ...] = (),
    client: str | None = "Acme",
) -> Session:
    session = await make_session(db, member, problem=problem, client=client)
    for action, result, outcome in steps:
        await make_step(db, member, session, action=action, result=result, outcome=outcome)
    async with db.uow(member.actor.account_id) as uow:
        return await sessions.resolve_session(uow, member.actor, session.id, ResolveIn(resolution=resolution))


async def vpn_history(db: Database, member: Member) -> list[Session]:
    """Two past VPN sessions fixed the same way, and an unrelated printer one."""
    return [
        await resolved_session(
            db,
            member,
            problem="VPN keeps dropping every few minutes for remote staff",
            resolution="Lowered the tunnel MTU to 1400 on the firewall. The user confirmed it is stable.",
        ),
        await resolved_session(
            db,
            member,
            problem="Remote staff VPN disconnects every 5 minutes",
            resolution="Lowered the VPN tunnel MTU to 1400.",
        ),
        await resolved_session(
            db,
            member,
            problem="Printer on the second floor prints blank pages",
            resolution="Replaced the toner cartridge.",
        ),
    ]


async def vpn_session(db: Database, member: Member, *, with_secrets: bool = False) -> Session:
    session = await make_session(db, member, problem="VPN drops every 5 minutes for the finance team")
    await make_step(
        db,
        member,
        session,
        action="Reinstalled the FortiClient VPN client",
        result="Still drops after about 5 minutes",
        outcome="failed",
    )
    await make_step(
        db,
        member,
        session,
        action="Took a packet capture during a drop",
        result="Fragmented ESP packets just before each drop",
        outcome="partial",
    )
    if with_secrets:
        await make_step(
            db,
            member,
            session,
            action=f"Reset the user's password to {SECRETS[0]} and had them sign in again",
            result=f"Still drops. Their AWS key {SECRETS[1]} was in the VPN script too",
            outcome="failed",
        )
        await make_step(db, member, session, action=f"token={SECRETS[2]} found in the config", result=None)
    return session


async def load_handoff(db: Database, handoff: Handoff) -> Handoff:
    async with db.uow(handoff.account_id) as uow:
        row = await uow.get(Handoff, handoff.id)
        assert row is not None
        return row


async def summary_of(db: Database, handoff: Handoff) -> Summary:
    row = await load_handoff(db, handoff)
    assert row.summary is not None, f"no summary yet (state {row.summary_state})"
    return Summary.model_validate(row.summary)


async def drain(queue: SummaryQueue, db: Database) -> int:
    """Run the queue until idle, model calls included."""
    done = 0
    while True:
        while await queue.run_once(db):
            done += 1
        if not queue.calls:
            return done
        await queue.idle()


@dataclass
class Team:
    account: Account
    junior: Member
    senior: Member
    admin: Member
    viewer: Member


@pytest.fixture
async def team(db: Database) -> Team:
    account = await make_account(db)
    # No passwords (API tokens only): hashing four of them would double every test's setup time.
    return Team(
        account=account,
        junior=await make_user(db, account, role="engineer", name="Jamie Junior", password=None),
        senior=await make_user(db, account, role="engineer", name="Sam Senior", password=None),
        admin=await make_user(db, account, role="admin", name="Ada Admin", password=None),
        viewer=await make_user(db, account, role="viewer", name="Vic Viewer", password=None),
    )


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(payload=GOOD_ASSESSMENT) as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(payload=GOOD_ASSESSMENT) as fake:
        yield fake


@dataclass
class Vendor:
    name: str
    fake: FakeAnthropic | FakeOpenAI
    model: str

    def config(self, *, deadline: float = 2.0) -> LlmConfig:
        return LlmConfig(self.model, self.fake.base_url, deadline, api_key=TEST_API_KEY)


@pytest.fixture(params=["anthropic", "openai"])
def vendor(
    request: pytest.FixtureRequest, anthropic_server: FakeAnthropic, openai_server: FakeOpenAI
) -> Iterator[Vendor]:
    fake: FakeAnthropic | FakeOpenAI
    if request.param == "anthropic":
        fake, model = anthropic_server, "anthropic:claude-test-1"
    else:
        fake, model = openai_server, "openai:gpt-test-1"
    fake.reset()
    yield Vendor(request.param, fake, model)
    fake.reset()
