"""A database outage, seen from one process: one log line when it starts, one when it ends.

Requests that hit a lost database answer 503 with Retry-After (web/app install the handler), and
the worker loop skips its tracebacks while the outage lasts. `watch` pings the database once a
second while it is down and closes the outage when it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from relaydesk.metrics import set_database_up

log = logging.getLogger("relaydesk.database")

RETRY_AFTER_SECONDS = 3


def is_connection_error(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached (not that a query was wrong)."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig or exc
    if isinstance(exc, psycopg.Error):
        # No SQLSTATE: the client could not connect or lost the connection. Class 08 is "connection
        # exception", 57P01-57P03 are a shutdown or a server that cannot take connections yet.
        state = exc.sqlstate or ""
        if not state:
            return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        return state.startswith("08") or state in ("57P01", "57P02", "57P03")
    return isinstance(exc, sa_exc.DisconnectionError | ConnectionError)


class Outage:
    """Process-wide outage state (one per process: the pool is shared by everything in it)."""

    def __init__(self) -> None:
        self.since: float | None = None

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            set_database_up(False)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            log.error("database unreachable (%s); answering 503 until it is back", first[:200])

    def recovered(self) -> None:
        if self.since is not None:
            seconds = time.monotonic() - self.since
            self.since = None
            set_database_up(True)
            log.warning("database reachable again after %.1f s", seconds)

    async def watch(self, engine: AsyncEngine, *, every: float = 0.5) -> None:
        """Run for the process's life: while down, ping; the first answer ends the outage."""
        while True:
            await asyncio.sleep(every)
            if not self.down:
                continue
            try:
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            except Exception as exc:  # still down
                if not is_connection_error(exc):
                    log.warning("database check failed: %s", exc)
                continue
            self.recovered()


OUTAGE = Outage()
