"""A PSA import asked for on the settings page, done by the worker; the page follows it live.

The request is durable: it is the account's cursor row (import_cursors) with `requested_at` set,
committed with a NOTIFY that wakes the workers. A worker takes it with a lease (FOR UPDATE SKIP
LOCKED, then `lease_until`, renewed after every page) and runs `psa.import_psa` outside any
transaction. What can fail where:
- A second click while one is requested or running changes nothing (the row already says so).
- The PSA fails (after the 429 waits): the run stops, `last_error` says why, the cursor stays where it
  was, and the next click continues from there; never a duplicate (the importer is idempotent).
- The worker dies: the lease runs out and another worker takes the request and continues.
Admins and owners get `import.progress` after every page and `import.done` at the end (live events,
for managers: they are the ones who may start it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from relaydesk.accounts.actor import Actor
from relaydesk.db.notify import wake_workers
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import NotFound, RelaydeskError
from relaydesk.imports.models import ImportCursor
from relaydesk.imports.psa import TicketLister, import_psa, months_ago
from relaydesk.imports.psa_autotask import AutotaskHistory
from relaydesk.imports.psa_connectwise import ConnectWiseHistory
from relaydesk.imports.psa_halopsa import HaloPsaHistory
from relaydesk.imports.records import ImportReport
from relaydesk.integrations import service as integrations
from relaydesk.live.service import append_event
from relaydesk.outbound import outbound_client
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.base import AutotaskConfig, ConnectWiseConfig, HaloPsaConfig, PsaConfig
from relaydesk.settings import Settings, get_settings

KIND = "imports"  # the NOTIFY payload that wakes workers for this queue
LEASE = timedelta(minutes=5)
DEFAULT_MONTHS = 12


def lister_for(kind: str, config: PsaConfig, http: httpx.AsyncClient) -> TicketLister:
    if kind == "connectwise" and isinstance(config, ConnectWiseConfig):
        return ConnectWiseHistory(config, client=http)
    if kind == "autotask" and isinstance(config, AutotaskConfig):
        return AutotaskHistory(config, client=http)
    if kind == "halopsa" and isinstance(config, HaloPsaConfig):
        return HaloPsaHistory(config, client=http)
    raise RelaydeskError(f"The account's integration ({kind}) is not a PSA Relaydesk can import from.")


@dataclass(frozen=True)
class ImportState:
    """What the settings page shows of the account's PSA import."""

    source: str
    running: bool
    imported: int = 0
    skipped: int = 0
    errors: int = 0
    finished_at: datetime | None = None
    last_error: str | None = None


def _state(source: str, row: ImportCursor | None) -> ImportState:
    if row is None:
        return ImportState(source=source, running=False)
    return ImportState(
        source=source,
        running=row.requested_at is not None,
        imported=row.imported,
        skipped=row.skipped,
        errors=row.errors,
        finished_at=row.finished_at,
        last_error=row.last_error,
    )


async def _psa_kind(uow: UnitOfWork, account_id: uuid.UUID) -> str:
    row = await integrations.account_psa(uow, account_id)
    if row is None:
        raise NotFound("No PSA is connected to this account; add ConnectWise, Autotask or HaloPSA first.")
    return row.kind


async def import_state(uow: UnitOfWork, actor: Actor) -> ImportState | None:
    """The account's PSA import as it stands (None without a PSA integration)."""
    row = await integrations.account_psa(uow, actor.account_id)
    if row is None:
        return None
    cursor = await uow.scalar(
        select(ImportCursor).where(
            ImportCursor.account_id == actor.account_id, ImportCursor.source == row.kind
        )
    )
    return _state(row.kind, cursor)


async def request_psa_import(uow: UnitOfWork, actor: Actor, months: int) -> tuple[ImportState, bool]:
    """Ask the worker to import the PSA's closed tickets; (state, started). Not started when one is
    already requested or running: the page says so instead of starting a second."""
    actor.require("admin", "import history from the PSA")
    if not 1 <= months <= 120:
        raise RelaydeskError("Choose between 1 and 120 months.")
    source = await _psa_kind(uow, actor.account_id)
    now = datetime.now(UTC)
    # The row may not exist yet; two clicks at once must still make one request.
    await uow.execute(
        insert(ImportCursor)
        .values(
            account_id=actor.account_id,
            source=source,
            since=months_ago(now, months),
            started_at=now,
            updated_at=now,
            imported=0,
            skipped=0,
            errors=0,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "source"])
    )
    row = await uow.scalar(
        select(ImportCursor)
        .where(ImportCursor.account_id == actor.account_id, ImportCursor.source == source)
        .with_for_update()
    )
    assert row is not None
    if row.requested_at is not None:
        return _state(source, row), False
    row.requested_at, row.requested_months, row.requested_by_id = now, months, actor.user_id
    row.lease_until, row.last_error = None, None
    await uow.flush()
    await wake_workers(uow, KIND)
    return _state(source, row), True


async def _announce(uow: UnitOfWork, account_id: uuid.UUID, type_: str, payload: dict[str, Any]) -> None:
    # No audience user: an `import.*` event goes to the account's admins and owners (live/audience.py).
    await append_event(uow, account_id=account_id, type=type_, payload=payload)


def _payload(source: str, report: ImportReport, **extra: Any) -> dict[str, Any]:
    return {
        "source": source,
        "imported": report.imported,
        "skipped": report.skipped,
        "errors": report.error_count,
        **extra,
    }


class PsaImportQueue:
    """The worker's queue of requested PSA imports (see the module docstring)."""

    name = "imports"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    async def _take(self, db: Database) -> tuple[uuid.UUID, str, int] | None:
        async with db.uow() as uow:
            due = await uow.rows(
                text("SELECT account_id, source FROM relaydesk_due_psa_imports(:n)"), {"n": 5}
            )
        for account_id, source in due:
            async with db.uow(account_id) as uow:
                row = await uow.scalar(
                    select(ImportCursor)
                    .where(
                        ImportCursor.account_id == account_id,
                        ImportCursor.source == source,
                        ImportCursor.requested_at.is_not(None),
                    )
                    .with_for_update(skip_locked=True)
                )
                now = datetime.now(UTC)
                if row is None or (row.lease_until is not None and row.lease_until > now):
                    continue
                row.lease_until = now + LEASE
                return account_id, source, row.requested_months or DEFAULT_MONTHS
        return None

    async def _finish(
        self, db: Database, account_id: uuid.UUID, source: str, report: ImportReport, error: str | None
    ) -> None:
        async with db.uow(account_id) as uow:
            row = await uow.scalar(
                select(ImportCursor)
                .where(ImportCursor.account_id == account_id, ImportCursor.source == source)
                .with_for_update()
            )
            if row is not None:
                row.requested_at, row.lease_until, row.last_error = None, None, error[:300] if error else None
            await _announce(uow, account_id, "import.done", _payload(source, report, error=error))

    async def run_once(self, db: Database) -> bool:
        taken = await self._take(db)
        if taken is None:
            return False
        account_id, source, months = taken
        report = ImportReport(source=source)

        async def progress(total: ImportReport) -> None:
            report.imported, report.skipped = total.imported, total.skipped
            async with db.uow(account_id) as uow:
                await uow.execute(
                    text(
                        "UPDATE import_cursors SET lease_until = now() + make_interval(secs => :s) "
                        "WHERE account_id = :a AND source = :src"
                    ),
                    {"s": LEASE.total_seconds(), "a": account_id, "src": source},
                )
                await _announce(uow, account_id, "import.progress", _payload(source, total))

        error: str | None = None
        try:
            async with db.uow(account_id) as uow:
                # The worker acts for the account's owner, as the CLI does: the request was an admin's.
                actor = Actor(uuid.UUID(int=0), account_id, "owner", "relaydesk worker", "", via="system")
                access = await integrations.psa_access(
                    uow, actor, secret_key=self.settings.resolved_secret_key()
                )
            if access.kind != source:
                raise RelaydeskError("The account's PSA changed since the import was asked for.")
            async with outbound_client(self.settings.outbound_allow_hosts, timeout=30) as http:
                report = await import_psa(
                    db,
                    account_id,
                    lister_for(access.kind, access.config, http),
                    months=months,
                    on_page=progress,
                )
        except DeliveryFailed as exc:
            error = f"{exc.message}. Start it again to continue where it stopped."
        except RelaydeskError as exc:
            error = exc.detail
        await self._finish(db, account_id, source, report, error)
        return True
