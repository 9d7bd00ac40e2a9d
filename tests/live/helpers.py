"""Small builders shared by the live tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.live.service import NewEvent, append_events
from tests.factories import Member, make_account, make_session, make_step, make_user


async def append(
    db: Database,
    account_id: uuid.UUID,
    count: int = 1,
    *,
    type: str = "test.tick",
    actor_id: uuid.UUID | None = None,
    audience: uuid.UUID | None = None,
    handoff_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> list[int]:
    """Commit `count` events in one transaction; returns their seqs."""
    async with db.uow(account_id) as uow:
        events = await append_events(
            uow,
            account_id=account_id,
            events=[
                NewEvent(
                    type=type,
                    actor_id=actor_id,
                    audience_user_id=audience,
                    handoff_id=handoff_id,
                    payload=payload or {"n": n},
                )
                for n in range(count)
            ],
        )
    return [e.seq for e in events]


@dataclass
class Team:
    account: Account
    junior: Member
    senior: Member
    other: Member
    viewer: Member
    owner: Member


async def make_team(db: Database, *, name: str | None = None) -> Team:
    account = await make_account(db, name=name)
    return Team(
        account=account,
        junior=await make_user(db, account, name="Jamie Junior"),
        senior=await make_user(db, account, name="Sam Senior"),
        # no password (and no argon2 hashing) for whoever never signs in through a page
        other=await make_user(db, account, name="Olly Other", password=None),
        viewer=await make_user(db, account, role="viewer", name="Val Viewer", password=None),
        owner=await make_user(db, account, role="owner", name="Oona Owner", password=None),
    )


async def escalate_over_http(
    base: str, db: Database, junior: Member, *, problem: str = "VPN drops every 10 minutes", steps: int = 2
) -> dict[str, Any]:
    """A session with steps, escalated through the JSON API of the server at `base`."""
    session = await make_session(db, junior, problem=problem, client="Harbor Dental", ticket="48213")
    for n in range(steps):
        await make_step(db, junior, session, action=f"Tried fix {n}")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        created = await http.post(
            f"/api/v1/sessions/{session.id}/handoffs",
            headers=junior.headers,
            json={"intent": "escalate", "reason": "Out of ideas"},
        )
    assert created.status_code == 201, created.text
    return created.json()


async def eventually(predicate: Callable[[], bool], *, within: float = 10.0, every: float = 0.05) -> None:
    """Wait until `predicate()` holds (state in another thread or process); TimeoutError if never."""
    async with asyncio.timeout(within):
        while True:
            if predicate():
                return
            await asyncio.sleep(every)
