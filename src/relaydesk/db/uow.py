"""The database handle and the unit of work: one transaction, one account (invariant 1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from relaydesk.db.urls import sqlalchemy_url

# The role the application's queries run as. It has no BYPASSRLS, so the row-level
# security policies bind even when the configured DSN is a superuser's.
APP_ROLE = "relaydesk_app"
ACCOUNT_SETTING = "relaydesk.account_id"


def _take_app_role(dbapi_connection: Any, _record: Any) -> None:
    # Session-level SET ROLE must not sit in a transaction the pool later rolls back.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET ROLE {APP_ROLE}")
    cursor.close()
    dbapi_connection.autocommit = autocommit


class UnitOfWork:
    """One transaction. Services flush; only the owner of the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.account_id: uuid.UUID | None = None

    async def set_account(self, account_id: uuid.UUID) -> None:
        """Scope the rest of this transaction to one account (SET LOCAL semantics)."""
        await self.session.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": ACCOUNT_SETTING, "value": str(account_id)},
        )
        self.account_id = account_id

    async def flush(self) -> None:
        await self.session.flush()

    async def scalar(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        return await self.session.scalar(statement, params)

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> None:
        """A statement whose rows nobody reads (UPDATE, DELETE without RETURNING)."""
        await self.session.execute(statement, params)

    async def rows(self, statement: Any, params: dict[str, Any] | None = None) -> Sequence[Any]:
        return (await self.session.execute(statement, params)).all()

    def add(self, instance: object) -> None:
        self.session.add(instance)

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        """A savepoint around one service call from a form. When the call refuses (a RelaydeskError,
        invalid input), whatever it had already written is undone, while the request's transaction
        lives on to render the form again with the reason; without it the re-rendered page would
        commit a half-done change."""
        async with self.session.begin_nested():
            yield


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = sqlalchemy_url(url)
        # hide_parameters: a failed statement's message (and so any logged traceback) never
        # carries the values people typed; the SQL alone is enough to find the bug.
        self.engine = create_async_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
        )
        event.listen(self.engine.sync_engine, "connect", _take_app_role)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @asynccontextmanager
    async def uow(self, account_id: uuid.UUID | None = None) -> AsyncIterator[UnitOfWork]:
        """A transaction that commits when the block ends and rolls back on an exception."""
        async with self.sessionmaker() as session, session.begin():
            uow = UnitOfWork(session)
            if account_id is not None:
                await uow.set_account(account_id)
            yield uow

    async def dispose(self) -> None:
        await self.engine.dispose()
