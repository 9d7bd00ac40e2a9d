"""Import closed tickets from the account's PSA, page by page, resumable, within the vendor's limits.

What can fail where, and what happens then:
- A page is fetched with no transaction open (DESIGN.md: I/O never runs inside one), then written
  through `service.import_records` (its batches commit on their own), then the cursor moves past it in
  its own transaction. A crash after the page's commit and before the cursor's re-reads that page on the
  next run, and the (source, vendor id) key makes that a no-op: never a duplicate.
- 429 (or a 503 with Retry-After): wait as told (capped) and ask again, up to MAX_ATTEMPTS; then stop
  with the error, the cursor where it was, so the next run continues from there.
- A run that reached the end marks the cursor finished; the next run starts from the beginning of the
  window again and, idempotent by vendor id, imports only tickets closed since.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from sqlalchemy import select

from relaydesk.db.uow import Database
from relaydesk.imports import service
from relaydesk.imports.models import ImportCursor
from relaydesk.imports.records import HistoryRecord, ImportReport, RowError
from relaydesk.outbound.outcome import DeliveryFailed

T = TypeVar("T")
MAX_ATTEMPTS = 6
MAX_WAIT_SECONDS = 120.0
DEFAULT_WAIT_SECONDS = 5.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class TicketPage:
    records: list[HistoryRecord | RowError]
    position: str | None  # where the next page starts; None after the last page


class TicketLister(Protocol):
    source: str  # "connectwise", "autotask", "halopsa": the import source of every record

    async def page(self, since: datetime, position: str | None) -> TicketPage: ...


async def within_rate_limit(call: Callable[[], Awaitable[T]], *, sleep: Sleep = asyncio.sleep) -> T:
    """`call()`, waiting out 429s (and 503s) as the vendor's Retry-After says, a few times at most."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await call()
        except DeliveryFailed as exc:
            if exc.status not in (429, 503) or attempt == MAX_ATTEMPTS:
                raise
            await sleep(min(exc.retry_after or DEFAULT_WAIT_SECONDS * attempt, MAX_WAIT_SECONDS))
    raise AssertionError("unreachable")


def months_ago(now: datetime, months: int) -> datetime:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(now.year * 12 + (now.month - 1) - months, 12)
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


async def _cursor(db: Database, account_id: uuid.UUID, source: str, since: datetime) -> ImportCursor:
    async with db.uow(account_id) as uow:
        row: ImportCursor | None = await uow.scalar(
            select(ImportCursor).where(ImportCursor.account_id == account_id, ImportCursor.source == source)
        )
        now = datetime.now(UTC)
        if row is None:
            row = ImportCursor(account_id=account_id, source=source, imported=0, skipped=0, errors=0)
            uow.add(row)
        elif row.finished_at is None:
            return row  # a stopped run: continue where it was, over the window it had
        row.position, row.since, row.started_at, row.updated_at, row.finished_at = None, since, now, now, None
        row.imported = row.skipped = row.errors = 0
        await uow.flush()
        return row


async def _advance(
    db: Database, account_id: uuid.UUID, source: str, position: str | None, page: ImportReport
) -> None:
    async with db.uow(account_id) as uow:
        row = await uow.scalar(
            select(ImportCursor)
            .where(ImportCursor.account_id == account_id, ImportCursor.source == source)
            .with_for_update()
        )
        assert row is not None
        now = datetime.now(UTC)
        row.position, row.updated_at = position, now
        row.imported += page.imported
        row.skipped += page.skipped
        row.errors += page.error_count
        if position is None:
            row.finished_at = now


async def import_psa(
    db: Database,
    account_id: uuid.UUID,
    lister: TicketLister,
    *,
    months: int = 12,
    now: datetime | None = None,
    on_page: Callable[[ImportReport], Awaitable[None] | None] | None = None,
) -> ImportReport:
    """Import the PSA's tickets closed in the last `months` months; returns this run's tally.

    `on_page` is called with the running tally after every page (no transaction open); it may be async."""
    cursor = await _cursor(db, account_id, lister.source, months_ago(now or datetime.now(UTC), months))
    total = ImportReport(source=lister.source)
    position = cursor.position
    while True:
        page = await lister.page(cursor.since, position)
        written = await service.import_records(db, account_id, page.records, source=lister.source)
        await _advance(db, account_id, lister.source, page.position, written)
        total.imported += written.imported
        total.skipped += written.skipped
        total.errors.extend(written.errors[: max(0, 1000 - len(total.errors))])
        if on_page is not None:
            shown = on_page(total)  # the worker's callback writes events: it may be a coroutine
            if inspect.isawaitable(shown):
                await shown
        if page.position is None:
            return total
        position = page.position
