"""The database handle and the unit of work: one transaction, one account (invariant 1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Result, event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.typing import TupleAny

from relaydesk.db.urls import sqlalchemy_url

# The role the application's queries run as. It has no BYPASSRLS, so the row-level
# security policies bind even when the configured DSN is a superuser's.
APP_ROLE = "relaydesk_app"
ACCOUNT_SETTING = "relaydesk.account_id"

T = TypeVar("T")
# One parameter set, or a list of them (executemany).
Params = dict[str, Any] | list[dict[str, Any]] | None


def _take_app_role(dbapi_connection: Any, _record: Any) -> None:
    # Session-level SET ROLE must not sit in a transaction the pool later rolls back.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET ROLE {APP_ROLE}")
    cursor.close()
    dbapi_connection.autocommit = autocommit


class UnitOfWork:
    """One transaction. Services flush; only the owner of the unit of work commits.

    It is the only door to the database: services get these few verbs, never the SQLAlchemy session
    itself (so a troubleshooting `session` and a database session never share a line)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.account_id: uuid.UUID | None = None

    async def set_account(self, account_id: uuid.UUID) -> None:
        """Scope the rest of this transaction to one account (SET LOCAL semantics)."""
        await self._session.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": ACCOUNT_SETTING, "value": str(account_id)},
        )
        self.account_id = account_id

    async def flush(self) -> None:
        await self._session.flush()

    async def scalar(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        return await self._session.scalar(statement, params)

    async def all(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        """Every row's first column (ORM objects for `select(Model)`)."""
        return list(await self._session.scalars(statement, params))

    async def execute(self, statement: Any, params: Params = None) -> None:
        """A statement whose rows nobody reads (UPDATE, DELETE without RETURNING); a list of
        parameter sets runs it once per set (executemany)."""
        await self._session.execute(statement, params)

    async def result(self, statement: Any, params: Params = None) -> Result[*TupleAny]:
        """The whole result, for what `rows` and `all` do not give (`rowcount`, `one()`, mappings)."""
        return await self._session.execute(statement, params)

    async def rows(self, statement: Any, params: dict[str, Any] | None = None) -> Sequence[Any]:
        return (await self._session.execute(statement, params)).all()

    async def get(self, model: type[T], ident: Any, *, with_for_update: bool = False) -> T | None:
        """A row by primary key, from the identity map when already loaded; locked when asked."""
        return await self._session.get(model, ident, with_for_update=with_for_update)

    async def refresh(self, instance: object) -> None:
        """Read the row again (after a statement that changed it behind the ORM's back)."""
        await self._session.refresh(instance)

    def add(self, instance: object) -> None:
        self._session.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self._session.add_all(instances)

    async def delete(self, instance: object) -> None:
        await self._session.delete(instance)

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        """A savepoint around one service call from a form. When the call refuses (a RelaydeskError,
        invalid input), whatever it had already written is undone, while the request's transaction
        lives on to render the form again with the reason; without it the re-rendered page would
        commit a half-done change. Services use it too, for a write that may fail on its own."""
        async with self._session.begin_nested():
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
