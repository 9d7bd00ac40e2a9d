"""Analytics fixtures: handoffs and steps written straight through the ORM with chosen timestamps."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.sessions.models import Session, Step
from tests.factories import Member, make_account, make_user

# A fixed stretch of the past, so no test depends on today's date.
DAY1 = datetime(2026, 3, 2, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def first_action_backfill() -> str:
    """The back-fill of `handoffs.first_action_at` exactly as the migration runs it."""
    (path,) = (Path(__file__).parents[2] / "migrations" / "versions").glob("*_first_action.py")
    spec = importlib.util.spec_from_file_location("first_action_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL_SQL)


BACKFILL = first_action_backfill()


@dataclass
class Team:
    account: Account
    junior: Member
    senior: Member
    senior2: Member
    viewer: Member
    owner: Member
    admin: Member


async def make_team(db: Database, name: str | None = None) -> Team:
    account = await make_account(db, name=name)
    return Team(
        account=account,
        junior=await make_user(db, account, name="Jamie Junior"),
        senior=await make_user(db, account, name="Sam Senior"),
        senior2=await make_user(db, account, name="Kim Senior"),
        viewer=await make_user(db, account, role="viewer", name="Val Viewer"),
        owner=await make_user(db, account, role="owner", name="Olga Owner"),
        admin=await make_user(db, account, role="admin", name="Ada Admin"),
    )


@pytest.fixture
async def team(db: Database) -> Team:
    return await make_team(db)


async def add_escalation(
    db: Database,
    escalator: Member,
    *,
    created_at: datetime,
    claimer: Member | None = None,
    claimed_at: datetime | None = None,
    status: str | None = None,
    steps: Sequence[tuple[Member, datetime]] = (),
    released_at: datetime | None = None,
    release_count: int = 0,
    first_claimed_at: datetime | None = None,
    category: str | None = "Email",
    client: str | None = "Acme",
    intent: str = "escalate",
) -> Handoff:
    """One session with one handoff, and the given steps (author, when), exactly as stamped: rows made
    the old way (no `first_action_at`), then the migration's back-fill gives it, so every figure
    below also tests the back-fill."""
    account_id = escalator.actor.account_id
    if status is None:
        status = "claimed" if claimed_at else "open"
    async with db.uow(account_id) as uow:
        session = Session(
            id=uuid.uuid4(),
            account_id=account_id,
            owner_id=escalator.user.id,
            assignee_id=claimer.user.id if claimer and claimed_at else None,
            problem_summary="Outlook is failing to sync email",
            category=category,
            client_name=client,
            status="active" if claimed_at else "escalated",
            created_at=created_at - timedelta(hours=1),
        )
        uow.add(session)
        await uow.flush()
        handoff = Handoff(
            id=uuid.uuid4(),
            account_id=account_id,
            session_id=session.id,
            intent=intent,
            status=status,
            created_by_id=escalator.user.id,
            snapshot={},
            summary_state="ready",
            created_at=created_at,
            claimed_by_id=claimer.user.id if claimer and claimed_at else None,
            claimed_at=claimed_at,
            first_claimed_at=first_claimed_at or claimed_at,
            released_at=released_at,
            release_count=release_count,
        )
        uow.add(handoff)
        for author, at in steps:
            uow.add(
                Step(
                    id=uuid.uuid4(),
                    account_id=account_id,
                    session_id=session.id,
                    author_id=author.user.id,
                    action="Checked the mailbox rules",
                    result="No change",
                    outcome="failed",
                    created_at=at,
                )
            )
        await uow.flush()
        await uow.execute(text(BACKFILL))
    return handoff


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


async def known_dataset(db: Database, team: Team) -> None:
    """Seven escalations over DAY1 and DAY2, hand-computed in test_service.py:

    pickups (s)       60, 120 | 180, 240, 600          -> avg 240, median 180, p90 456, p95 528
    first actions (s) 30,  90 | 150, 300, (none)       -> avg 142.5, median 120, p90 255, p95 277.5
    plus one still open (DAY1) and one withdrawn (DAY2); conversion 4/5.
    """
    j, sen, sen2 = team.junior, team.senior, team.senior2
    t = DAY1 + timedelta(hours=9)
    # DAY1: the claimer's first step wins over a later one and over the escalator's earlier one
    await add_escalation(
        db, j, created_at=t, claimer=sen, claimed_at=t + s(60),
        steps=[(j, t - s(600)), (j, t + s(70)), (sen, t + s(60 + 30)), (sen, t + s(60 + 500))],
    )  # fmt: skip
    # a step the claimer logged long before the escalation is not a first action after the claim
    t2 = DAY1 + timedelta(hours=13)
    await add_escalation(
        db, j, created_at=t2, claimer=sen2, claimed_at=t2 + s(120),
        steps=[(sen2, t2 - s(3600)), (sen2, t2 + s(120 + 90))],
    )  # fmt: skip
    await add_escalation(db, j, created_at=DAY1 + timedelta(hours=15))  # still open
    # DAY2
    t3 = DAY2 + timedelta(hours=8)
    await add_escalation(
        db, j, created_at=t3, claimer=sen, claimed_at=t3 + s(180), steps=[(sen, t3 + s(330))]
    )
    t4 = DAY2 + timedelta(hours=10)
    await add_escalation(
        db, j, created_at=t4, claimer=sen2, claimed_at=t4 + s(240), steps=[(sen2, t4 + s(540))]
    )
    t5 = DAY2 + timedelta(hours=11)
    # claimed, but no step by the claimer yet (the escalator's step does not count)
    await add_escalation(db, j, created_at=t5, claimer=sen, claimed_at=t5 + s(600), steps=[(j, t5 + s(700))])
    await add_escalation(db, j, created_at=DAY2 + timedelta(hours=12), status="withdrawn")
    # a parked session is not an escalation
    await add_escalation(db, j, created_at=DAY2 + timedelta(hours=13), intent="park", status="parked")
