"""`handoffs.first_action_at`: written with the claimer's first step after the claim, in that step's
transaction; cleared by a release; and back-filled by migration 0018 from rows made before it."""

from __future__ import annotations

import uuid

import psycopg

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import ReleaseIn
from tests.analytics.conftest import BACKFILL
from tests.factories import Member, escalate, make_account, make_session, make_step, make_user


def _first_action(conn: psycopg.Connection, handoff_id: uuid.UUID) -> object:
    row = conn.execute("SELECT first_action_at FROM handoffs WHERE id = %s", (handoff_id,)).fetchone()
    assert row is not None
    return row[0]


async def _claim(db: Database, member: Member, handoff_id: uuid.UUID) -> None:
    async with db.uow(member.actor.account_id) as uow:
        await handoffs.claim(uow, member.actor, handoff_id)


async def test_the_claimers_first_step_is_the_first_action(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    jane, sam, kim = [await make_user(db, account, name=n) for n in ("Jane Doe", "Sam Lee", "Kim Park")]
    session = await make_session(db, jane)
    await make_step(db, jane, session)
    handoff = await escalate(db, jane, session)
    assert _first_action(admin_conn, handoff.id) is None

    await _claim(db, sam, handoff.id)
    assert _first_action(admin_conn, handoff.id) is None
    await make_step(db, jane, session, action="The escalator's step")  # the owner may still log one
    assert _first_action(admin_conn, handoff.id) is None  # not the claimer's

    first = await make_step(db, sam, session, action="Rebuilt the OST")
    assert _first_action(admin_conn, handoff.id) == first.created_at
    await make_step(db, sam, session, action="A second step")
    assert _first_action(admin_conn, handoff.id) == first.created_at  # the first stays

    # a release clears it; the next claimer's first step is the new one
    async with db.uow(account.id) as uow:
        await handoffs.release(uow, sam.actor, handoff.id, ReleaseIn(reason="Out of my depth").reason)
    assert _first_action(admin_conn, handoff.id) is None
    await _claim(db, kim, handoff.id)
    kims = await make_step(db, kim, session, action="Checked the mailbox rules")
    assert _first_action(admin_conn, handoff.id) == kims.created_at


async def test_the_migration_backfills_rows_made_the_old_way(
    db: Database, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    jane, sam = await make_user(db, account, name="Jane Doe"), await make_user(db, account, name="Sam Lee")
    session = await make_session(db, jane)
    handoff = await escalate(db, jane, session)
    await _claim(db, sam, handoff.id)
    first = await make_step(db, sam, session, action="Rebuilt the OST")
    await make_step(db, sam, session, action="A second step")
    # an open one and a claimed one with no step by its claimer stay empty
    other = await make_session(db, jane, problem="Printer offline")
    untouched = await escalate(db, jane, other)

    # as before migration 0018: nothing stamped on the handoff
    admin_conn.execute("UPDATE handoffs SET first_action_at = NULL")
    admin_conn.execute(BACKFILL)
    assert _first_action(admin_conn, handoff.id) == first.created_at
    assert _first_action(admin_conn, untouched.id) is None
