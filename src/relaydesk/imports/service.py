"""Write history records as resolved, imported sessions, batch by batch.

What can fail where, and what happens then:
- A record that fails validation is reported (row and reason) and skipped; it never reaches the database.
- Each batch is one transaction. If the database refuses a batch (a constraint no validation foresaw),
  it is rolled back whole and retried one record per transaction, so only the offending record is lost
  and reported; nothing is ever half-written (a session without its steps).
- A crash mid-run loses at most the open batch; running the import again skips what was committed,
  because (account, source, vendor id) is unique (migration 0010) and inserts are ON CONFLICT DO NOTHING.

Imported sessions are written straight as resolved rows, not through `sessions.resolve_session`, so no
delivery, notification or webhook is ever made for them. Each is inserted `active`, its steps follow,
then one UPDATE resolves the batch: the search_document trigger (migration 0004) fires on that update,
when the steps exist; the BM25 postings (0007) of the whole batch are then built in one call
(relaydesk_index_sessions, 0013) with the per-session trigger told to skip, so the session is
searchable at commit and a 100,000-row import does not pay a round of upserts per session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import BadInput
from relaydesk.imports.records import (
    MAX_REPORTED_ERRORS,
    MAX_SOURCE,
    HistoryRecord,
    ImportReport,
    RowError,
    RowErrorOut,
)
from relaydesk.imports.validate import check_record

BATCH_SIZE = 1000
Progress = Callable[[ImportReport], None]

_INSERT_SESSIONS = text(
    """
    INSERT INTO sessions (id, account_id, owner_id, problem_summary, category, client_name, ticket_id,
                          priority, status, resolution, created_at, updated_at, resolved_at,
                          import_source, import_vendor_id, import_technician, imported_at)
    SELECT u.id, :account, u.owner_id, u.problem, u.category, u.client, u.ticket, u.priority, 'active',
           u.resolution, u.created_at, u.resolved_at, u.resolved_at, :source, u.ticket, u.technician, :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:owners AS uuid[]), CAST(:problems AS text[]),
                CAST(:categories AS text[]), CAST(:clients AS text[]), CAST(:tickets AS text[]),
                CAST(:resolutions AS text[]), CAST(:created AS timestamptz[]),
                CAST(:resolved AS timestamptz[]), CAST(:technicians AS text[]),
                CAST(:priorities AS text[]))
         AS u(id, owner_id, problem, category, client, ticket, resolution, created_at, resolved_at,
              technician, priority)
    ON CONFLICT (account_id, import_source, import_vendor_id) WHERE import_source IS NOT NULL DO NOTHING
    RETURNING id
    """
)

_INSERT_STEPS = text(
    """
    INSERT INTO steps (id, account_id, session_id, author_id, action, result, outcome, created_at)
    SELECT gen_random_uuid(), :account, u.session_id, u.author_id, u.action, u.result, u.outcome, u.at
    FROM unnest(CAST(:sessions AS uuid[]), CAST(:authors AS uuid[]), CAST(:actions AS text[]),
                CAST(:results AS text[]), CAST(:outcomes AS text[]), CAST(:ats AS timestamptz[]))
         AS u(session_id, author_id, action, result, outcome, at)
    """
)

# Resolving fires the search_document trigger (0004, declared on UPDATE OF status), now the steps exist.
_RESOLVE = text("UPDATE sessions SET status = 'resolved' WHERE id = ANY(CAST(:ids AS uuid[]))")

# The BM25 postings (migration 0007) are built once per batch, not once per session by the trigger:
# the batch's transaction tells the triggers to skip (SET LOCAL, so it ends with the transaction) and
# indexes its new sessions in a few set-based statements before committing (migration 0013).
_DEFER_SEARCH = text("SELECT set_config('relaydesk.search_deferred', 'on', true)")
_INDEX_BATCH = text("SELECT relaydesk_index_sessions(CAST(:ids AS uuid[]))")

# One probe of uq_sessions_import per ticket: a LATERAL subquery parameterised by the ticket id, so the
# planner cannot turn it into a scan. Both `import_vendor_id = ANY(...)` and a plain EXISTS were planned,
# before the table is analyzed and with RLS's account filter, as a read of every imported row of the
# account per batch (476 ms per batch at 100k rows against 13 ms like this), which made imports quadratic.
_EXISTING = text(
    "SELECT t.id AS import_vendor_id FROM unnest(CAST(:tickets AS text[])) AS t(id) "
    "CROSS JOIN LATERAL (SELECT 1 FROM sessions s WHERE s.account_id = :account "
    "AND s.import_source = :source AND s.import_vendor_id = t.id LIMIT 1) AS hit"
)


@dataclass(frozen=True)
class _People:
    """Who owns an imported session: the technician when they are a user of the account, else `default`."""

    default: uuid.UUID
    by_key: dict[str, uuid.UUID]

    def owner(self, technician: str | None) -> uuid.UUID:
        if technician:
            return self.by_key.get(technician.strip().lower(), self.default)
        return self.default


async def _people(uow: UnitOfWork, account_id: uuid.UUID, owner_id: uuid.UUID | None) -> _People:
    rows = await uow.rows(
        text(
            "SELECT id, lower(name) AS name, lower(email) AS email, role FROM users "
            "WHERE account_id = :a AND deleted_at IS NULL "
            "ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'engineer' THEN 2 ELSE 3 END, "
            "created_at, id"
        ),
        {"a": account_id},
    )
    if not rows:
        raise BadInput("The account has no users; add one before importing, to own the imported sessions.")
    by_key: dict[str, uuid.UUID] = {}
    for row in rows:
        by_key.setdefault(row.email, row.id)
        by_key.setdefault(row.name, row.id)
    default = owner_id or rows[0].id
    if default not in {r.id for r in rows}:
        raise BadInput("The owner given for the imported sessions is not a user of the account.")
    return _People(default=default, by_key=by_key)


def _check_source(source: str) -> str:
    source = source.strip().lower()
    if not source or len(source) > MAX_SOURCE:
        raise BadInput(f"The import source must be 1 to {MAX_SOURCE} characters (e.g. csv, connectwise).")
    return source


class _Run:
    """The running tally of one import; errors past MAX_REPORTED_ERRORS are only counted."""

    def __init__(self, source: str, dry_run: bool) -> None:
        self.report = ImportReport(source=source, dry_run=dry_run)

    def error(self, row: int, reason: str) -> None:
        if len(self.report.errors) < MAX_REPORTED_ERRORS:
            self.report.errors.append(RowErrorOut(row=row, reason=reason))
        else:
            self.report.errors_omitted += 1


def step_times(record: HistoryRecord, closed: datetime) -> tuple[datetime, list[datetime]]:
    """When the session opened and when each step was done. A step takes the time its source gave
    it; one without precedes the close by a second for each step after it, so the story reads
    oldest first. The session opens with its first step (or at the close, with none)."""
    fallback = closed - timedelta(seconds=len(record.steps))
    times = [step.at or fallback + timedelta(seconds=n) for n, step in enumerate(record.steps)]
    return min([*times, fallback]), times


async def _write_batch(
    uow: UnitOfWork, account_id: uuid.UUID, source: str, people: _People, batch: list[HistoryRecord]
) -> int:
    """Insert one batch; returns how many were new. Raises DBAPIError if the database refuses any row."""
    # Already imported ones are left out before inserting: a conflicting INSERT still costs a tuple, its
    # triggers and index probes, so a second run over a big file would take almost as long as the first.
    # ON CONFLICT below still guards against a concurrent import of the same rows.
    existing = {
        row.import_vendor_id
        for row in await uow.rows(
            _EXISTING, {"account": account_id, "source": source, "tickets": [r.ticket_id for r in batch]}
        )
    }
    batch = [r for r in batch if r.ticket_id not in existing]
    if not batch:
        return 0
    await uow.result(_DEFER_SEARCH)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in batch]
    owners = [people.owner(r.technician) for r in batch]
    resolved = [r.closed_at or now for r in batch]
    timed = [step_times(r, at) for r, at in zip(batch, resolved, strict=True)]
    created = [opened for opened, _ in timed]
    inserted = await uow.rows(
        _INSERT_SESSIONS,
        {
            "account": account_id,
            "source": source,
            "now": now,
            "ids": ids,
            "owners": owners,
            "problems": [r.problem for r in batch],
            "categories": [r.category for r in batch],
            "clients": [r.client for r in batch],
            "tickets": [r.ticket_id for r in batch],
            "resolutions": [r.resolution for r in batch],
            "created": created,
            "resolved": resolved,
            "technicians": [r.technician for r in batch],
            "priorities": [r.priority for r in batch],
        },
    )
    new = {row.id for row in inserted}
    if not new:
        return 0
    step_rows: tuple[list[object], ...] = ([], [], [], [], [], [])
    for record, session_id, owner, (_, times) in zip(batch, ids, owners, timed, strict=True):
        if session_id not in new:
            continue
        for step, at in zip(record.steps, times, strict=True):
            for column, value in zip(
                step_rows, (session_id, owner, step.action, step.result, step.outcome, at), strict=True
            ):
                column.append(value)
    if step_rows[0]:
        await uow.result(
            _INSERT_STEPS,
            {
                "account": account_id,
                "sessions": step_rows[0],
                "authors": step_rows[1],
                "actions": step_rows[2],
                "results": step_rows[3],
                "outcomes": step_rows[4],
                "ats": step_rows[5],
            },
        )
    await uow.result(_RESOLVE, {"ids": list(new)})
    await uow.result(_INDEX_BATCH, {"ids": list(new)})
    return len(new)


def _refusal(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    return f"the database refused it ({constraint or type(exc.orig).__name__})"


async def _commit_batch(
    db: Database, account_id: uuid.UUID, source: str, people: _People, batch: list[HistoryRecord], run: _Run
) -> None:
    try:
        async with db.uow(account_id) as uow:
            new = await _write_batch(uow, account_id, source, people, batch)
        run.report.imported += new
        run.report.skipped += len(batch) - new
        return
    except DBAPIError:
        pass  # rolled back whole; find the offending record one transaction at a time
    for record in batch:
        try:
            async with db.uow(account_id) as uow:
                new = await _write_batch(uow, account_id, source, people, [record])
        except DBAPIError as exc:
            run.error(record.row or 0, _refusal(exc))
            continue
        run.report.imported += new
        run.report.skipped += 1 - new


async def _dry_batch(
    db: Database, account_id: uuid.UUID, source: str, batch: list[HistoryRecord], run: _Run, seen: set[str]
) -> None:
    async with db.uow(account_id) as uow:
        existing = {
            row.import_vendor_id
            for row in await uow.rows(
                _EXISTING, {"account": account_id, "source": source, "tickets": [r.ticket_id for r in batch]}
            )
        }
    for record in batch:
        if record.ticket_id in existing or record.ticket_id in seen:
            run.report.skipped += 1
        else:
            run.report.imported += 1
        seen.add(record.ticket_id)


async def import_records(
    db: Database,
    account_id: uuid.UUID,
    records: Iterable[HistoryRecord | RowError],
    *,
    source: str,
    owner_id: uuid.UUID | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import resolved history into one account; returns the tally (imported, skipped, errors).

    `records` is consumed lazily, `batch_size` at a time, each batch committed on its own (so pass a
    generator to keep memory flat). `RowError`s in the stream are reported as they are. `source` names
    where the history came from ("csv", "jsonl", "connectwise", "demo", ...): with the record's
    `ticket_id` it is the idempotency key, so the same source and id are never imported twice. Sessions
    are owned by the user whose name or email matches `technician`, else by `owner_id`, else by the
    account's first owner. With `dry_run` nothing is written: the tally says what would happen.
    `on_progress` is called with the running report after every batch.
    """
    source = _check_source(source)
    run = _Run(source, dry_run)
    async with db.uow(account_id) as uow:
        people = await _people(uow, account_id, owner_id)
    seen: set[str] = set()  # dry run only: nothing committed catches duplicates across batches
    batch: list[HistoryRecord] = []
    batch_keys: set[str] = set()

    async def flush() -> None:
        if not batch:
            return
        if dry_run:
            await _dry_batch(db, account_id, source, batch, run, seen)
        else:
            await _commit_batch(db, account_id, source, people, batch, run)
        batch.clear()
        batch_keys.clear()
        if on_progress is not None:
            on_progress(run.report)

    for position, item in enumerate(records, start=1):
        if isinstance(item, RowError):
            run.error(item.row, item.reason)
            continue
        row = item.row if item.row is not None else position
        reason = check_record(item)
        if reason is not None:
            run.error(row, reason)
            continue
        if item.ticket_id in batch_keys:  # a repeat inside one batch: ON CONFLICT cannot see it yet
            run.report.skipped += 1
            continue
        batch_keys.add(item.ticket_id)
        batch.append(item if item.row is not None else _with_row(item, row))
        if len(batch) >= batch_size:
            await flush()
    await flush()
    return run.report


def _with_row(record: HistoryRecord, row: int) -> HistoryRecord:
    return HistoryRecord(
        ticket_id=record.ticket_id,
        problem=record.problem,
        resolution=record.resolution,
        steps=record.steps,
        client=record.client,
        category=record.category,
        closed_at=record.closed_at,
        technician=record.technician,
        priority=record.priority,
        row=row,
    )
