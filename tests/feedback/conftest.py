"""A team with a claimed escalation whose summary is a hand-written fixture (so verdicts are computable)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.imports import service as imports
from relaydesk.imports.records import HistoryRecord
from relaydesk.sessions.models import Session
from relaydesk.summaries.schemas import SimilarSession, Summary
from tests.factories import Member, escalate, make_account, make_session, make_user


@dataclass
class Team:
    account: Account
    junior: Member
    senior: Member
    viewer: Member
    past: list[uuid.UUID]  # two imported, resolved past sessions


@pytest.fixture
async def team(db: Database) -> Team:
    return await make_team(db)


async def make_team(db: Database) -> Team:
    account = await make_account(db)
    await make_user(db, account, role="owner")
    junior = await make_user(db, account)
    senior = await make_user(db, account)
    viewer = await make_user(db, account, role="viewer")
    history = [
        HistoryRecord(
            ticket_id="P1", problem="VPN drops every ten minutes", resolution="Raised the idle timeout"
        ),
        HistoryRecord(ticket_id="P2", problem="VPN will not connect", resolution="Renewed the certificate"),
    ]
    assert (await imports.import_records(db, account.id, history, source="demo")).imported == 2
    async with db.uow(account.id) as uow:
        past = [
            row.id
            for row in await uow.rows(
                Session.__table__.select().where(Session.account_id == account.id).order_by(Session.ticket_id)
            )
        ]
    return Team(account, junior, senior, viewer, past)


def fixture_summary(*, cause: str, similar: list[SimilarSession], engine: str = "offline") -> Summary:
    now = datetime.now(UTC)
    return Summary(
        ticket_note="Prose.",
        likely_cause=cause,
        confidence="medium",
        similar_sessions=similar,
        engine=engine,
        state="ready",
        created_at=now,
        updated_at=now,
    )


async def claimed_escalation(
    db: Database,
    client: httpx.AsyncClient,
    team: Team,
    *,
    cause: str = "The firewall idle timeout drops the VPN tunnel",
    engine: str = "offline",
    with_similar: bool = True,
    claim: bool = True,
) -> Handoff:
    session = await make_session(db, team.junior, problem="VPN drops for the sales team")
    handoff = await escalate(db, team.junior, session)
    similar = (
        [
            SimilarSession(
                id=team.past[0],
                problem="VPN drops every ten minutes",
                resolution="Raised the idle timeout",
                score=0.6,
            ),
            SimilarSession(
                id=team.past[1],
                problem="VPN will not connect",
                resolution="Renewed the certificate",
                score=0.4,
            ),
        ]
        if with_similar
        else []
    )
    async with db.uow(team.account.id) as uow:
        row = await uow.get(Handoff, handoff.id)
        assert row is not None
        row.summary = fixture_summary(cause=cause, similar=similar, engine=engine).model_dump(mode="json")
        row.summary_state = "ready"
    if claim:
        done = await client.post(f"/api/v1/handoffs/{handoff.id}/claim", headers=team.senior.headers)
        assert done.status_code == 200, done.text
    return handoff
