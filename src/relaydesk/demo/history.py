"""The demo's resolved history: history.jsonl, read and written into the account.

history.jsonl is in the history-import format, one resolved ticket a line:
{"problem", "steps": [{"action", "result", "outcome"}], "resolution", "client", "ticket_id", "category",
"priority", "closed_at", "technician"}. It is written by Relaydesk as fiction: clients, people, domains
(.test / .example) and addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are made up.

The tickets worked alone go in through the history importer (load_history), as a customer's history
would. The escalated ones (activity.py) need handoffs and events the importer does not make, so they
are written by insert_resolved: a few statements per table rather than one service call per step (the
seed must stay fast), in the order the services would leave them: created `active` with their steps,
then set `resolved` in one UPDATE, which is what fires the search trigger, so the similar-session
search finds the history at once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import insert, text

from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.imports.records import HistoryRecord, HistoryStep, ImportReport
from relaydesk.imports.service import import_records
from relaydesk.sessions.models import Session, Step

HISTORY_FILE = "history.jsonl"
DEMO_SOURCE = "demo"


def read_records() -> list[dict[str, Any]]:
    """history.jsonl as written (dates as of team.WRITTEN_AS_OF), oldest first."""
    text = resources.files("relaydesk.demo").joinpath(HISTORY_FILE).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def shifted(records: list[dict[str, Any]], shift: timedelta) -> list[dict[str, Any]]:
    """The records with closed_at moved by `shift` (so the history ends this week)."""
    out = []
    for record in records:
        closed = datetime.fromisoformat(record["closed_at"].replace("Z", "+00:00")) + shift
        out.append({**record, "closed_at": closed.isoformat()})
    return out


@dataclass
class StepRow:
    action: str
    result: str | None
    outcome: str
    author_id: uuid.UUID
    at: datetime
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class SessionRow:
    """A resolved session as it will be stored, timestamps included."""

    problem: str
    category: str | None
    client: str | None
    ticket_id: str | None
    priority: str
    owner_id: uuid.UUID
    assignee_id: uuid.UUID | None
    created_at: datetime
    resolved_at: datetime
    resolution: str
    steps: list[StepRow]
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def to_history_record(row: int, record: dict[str, Any]) -> HistoryRecord:
    """One history.jsonl line as the importer takes it (its technician is matched to a user by name)."""
    return HistoryRecord(
        ticket_id=record["ticket_id"],
        problem=record["problem"],
        resolution=record["resolution"],
        steps=tuple(
            HistoryStep(action=s["action"], result=s.get("result"), outcome=s.get("outcome", "info"))
            for s in record["steps"]
        ),
        client=record.get("client"),
        category=record.get("category"),
        closed_at=datetime.fromisoformat(record["closed_at"].replace("Z", "+00:00")),
        technician=record.get("technician"),
        priority=record.get("priority", "normal"),
        row=row,
    )


async def insert_resolved(uow: UnitOfWork, account_id: uuid.UUID, rows: list[SessionRow]) -> None:
    """Write resolved sessions and their steps: one INSERT per table, one UPDATE to resolve them."""
    if not rows:
        return
    await uow.result(
        insert(Session),
        [
            {
                "id": r.id,
                "account_id": account_id,
                "owner_id": r.owner_id,
                "assignee_id": r.assignee_id,
                "problem_summary": r.problem,
                "category": r.category,
                "client_name": r.client,
                "ticket_id": r.ticket_id,
                "priority": r.priority,
                "status": "active",
                "created_at": r.created_at,
                "updated_at": r.resolved_at,
            }
            for r in rows
        ],
    )
    await uow.result(
        insert(Step),
        [
            {
                "id": s.id,
                "account_id": account_id,
                "session_id": r.id,
                "author_id": s.author_id,
                "action": s.action,
                "result": s.result,
                "outcome": s.outcome,
                "created_at": s.at,
            }
            for r in rows
            for s in r.steps
        ],
    )
    # Resolving after the steps exist: the trigger builds search_document from them.
    await uow.result(
        text(
            "UPDATE sessions SET status = 'resolved', resolution = :res, resolved_at = :at, updated_at = :at "
            "WHERE id = :sid"
        ),
        [{"sid": r.id, "res": r.resolution, "at": r.resolved_at} for r in rows],
    )


async def load_history(db: Database, account_id: uuid.UUID, records: list[dict[str, Any]]) -> ImportReport:
    """Bring the history worked alone into the account through the history importer (source "demo").

    The importer is idempotent by (source, ticket_id), owns each session by the user named as its
    technician, and leaves it resolved and searchable at commit, as a real import would.
    """
    report = await import_records(
        db, account_id, [to_history_record(n, r) for n, r in enumerate(records, 1)], source=DEMO_SOURCE
    )
    if report.error_count:  # history.jsonl is ours: a refused line is a bug in it, not bad input
        raise RuntimeError(f"The demo history did not import cleanly: {report.errors}")
    return report
