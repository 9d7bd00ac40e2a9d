"""What an import is made of: a typed history record, a row's error, and the report of a run.

These types are the importer's public vocabulary: the file parser and the PSA listers produce
`HistoryRecord`s (or `RowError`s for rows they could not read), and `service.import_records` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Outcome = Literal["fixed", "failed", "partial", "info"]
# The session priorities (sessions/models.py PRIORITIES); imports default to normal.
Priority = Literal["low", "normal", "high", "urgent"]

# Column widths of the sessions table (sessions/models.py) and of the import marks (migration 0010).
MAX_TICKET_ID = 64
MAX_VENDOR_ID = 128
MAX_CLIENT = 200
MAX_CATEGORY = 100
MAX_TECHNICIAN = 200
MAX_SOURCE = 40
MAX_STEPS = 200
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One thing done on a past ticket; with no result it is a note."""

    action: str
    result: str | None = None
    outcome: Outcome = "info"
    # When it was done, where the source says (a PSA note's time, a JSON step's `at`).
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """One resolved ticket of the account's past, ready to become a resolved session.

    `ticket_id` is the vendor's id and, with the import's source, the idempotency key: importing the
    same (source, ticket_id) twice writes it once. `row` is where it came from (a file's row or line
    number), quoted in errors; records built in code may leave it None and are numbered by position.
    """

    ticket_id: str
    problem: str
    resolution: str
    steps: tuple[HistoryStep, ...] = ()
    client: str | None = None
    category: str | None = None
    closed_at: datetime | None = None
    technician: str | None = None
    priority: Priority = "normal"
    row: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was not imported, and why (never quoting the row's text: it may hold a secret)."""

    row: int
    reason: str


class RowErrorOut(BaseModel):
    row: int
    reason: str


class ImportReport(BaseModel):
    """The one object `relaydesk import ... --json` prints."""

    source: str
    dry_run: bool = False
    imported: int = 0
    skipped: int = 0
    errors: list[RowErrorOut] = []
    # Errors beyond the first MAX_REPORTED_ERRORS are counted, not listed, so memory stays flat.
    errors_omitted: int = 0

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_omitted


MAX_REPORTED_ERRORS = 1000
