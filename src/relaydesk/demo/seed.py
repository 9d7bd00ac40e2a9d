"""Seeding the demo account: once, fast, the same every time; and starting it over.

Order: the account and its people (one transaction), the history worked alone (load_history, the
importer's job), then in one transaction the escalated history with its handoffs and events and the
two escalations waiting now. A seed that died half-way leaves an account without handoffs; the next
start sees that, drops it and seeds again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.accounts.passwords import hash_password
from relaydesk.db.uow import Database
from relaydesk.demo.activity import insert_activity, plan
from relaydesk.demo.history import load_history, read_records, shifted
from relaydesk.demo.team import ACCOUNT_NAME, DEMO_PASSWORD, PEOPLE, logins, shift_for
from relaydesk.demo.waiting import escalate_waiting
from relaydesk.handoffs.models import Handoff

DAYS = 90


async def seed(database_url: str, *, reset: bool = False) -> list[tuple[str, str]]:
    """Create the demo account once; when it exists (and is complete), change nothing. With `reset`,
    drop it first. Returns (role label, email) of the people to sign in as."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.uow() as uow:
            account_id = await accounts.find_account_id(uow, ACCOUNT_NAME)
            if account_id is not None:
                await uow.set_account(account_id)
                complete = bool(await uow.scalar(select(func.count()).select_from(Handoff)))
        if account_id is not None and (reset or not complete):
            await drop_account(db, account_id)
            account_id = None
        if account_id is None:
            await _seed(db, datetime.now(UTC).replace(microsecond=0))
    finally:
        await db.dispose()
    return logins()


async def drop_account(db: Database, account_id: uuid.UUID) -> None:
    """Delete the demo account; every tenant row goes with it (ON DELETE CASCADE on account_id)."""
    async with db.uow(account_id) as uow:
        # The search index first: its triggers (migration 0007) would otherwise update the account's
        # term counts while the cascade has already removed the account (a foreign-key violation).
        for table in ("search_postings", "search_terms", "search_corpus"):
            await uow.result(text(f"DELETE FROM {table} WHERE account_id = :a"), {"a": account_id})
        await uow.result(text("DELETE FROM accounts WHERE id = :a"), {"a": account_id})


async def _seed(db: Database, now: datetime) -> None:
    async with db.uow() as uow:
        account = await accounts.create_account(uow, ACCOUNT_NAME)
        actors: dict[str, Actor] = {}
        # One Argon2 hash (about a second each on a busy machine) for everyone: they share the password.
        password_hash = hash_password(DEMO_PASSWORD)
        for person in PEOPLE:
            user = await accounts.add_user(
                uow, account.id, email=person.email, name=person.name, role=person.role, password=None
            )
            user.password_hash = password_hash
            actors[person.key] = accounts.actor_for(user)
    ids = {key: actor.user_id for key, actor in actors.items()}

    records = shifted(read_records(), shift_for(now))
    alone, escalated = plan(records, ids, first_day=now - timedelta(days=DAYS))
    await load_history(db, account.id, alone)
    async with db.uow(account.id) as uow:
        await insert_activity(uow, account.id, escalated, ids)
        await escalate_waiting(uow, actors, now)
