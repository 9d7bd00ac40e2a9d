"""ConnectWise PSA (Manage REST 3.0): closed tickets and their notes, as history records.

Listing: `GET service/tickets` with `conditions=closedFlag=true and closedDate>=[ISO]` and, past the
first page, `and id>{last id}`, `orderBy=id asc`, `page=1`, `pageSize=PAGE_SIZE`: keyset paging on
the ticket id, so the position is the last id read and a resumed run neither skips nor repeats a
ticket however the table changes between pages. Notes: `GET service/tickets/{id}/notes` paged by
`page`/`pageSize`, oldest first. Notes flagged `resolutionFlag` make the resolution; the others are
steps (notes). A closed ticket without a resolution note is reported and skipped.

Auth and errors are the notes client's own (psa/connectwise.py): this class extends it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from relaydesk.imports.psa import Sleep, TicketPage, within_rate_limit
from relaydesk.imports.records import MAX_STEPS, HistoryRecord, HistoryStep, RowError
from relaydesk.imports.validate import Invalid, parse_closed_at, step_time
from relaydesk.outbound.outcome import json_reply
from relaydesk.psa.connectwise import VENDOR, ConnectWiseClient

PAGE_SIZE = 100
NOTE_PAGES = 20


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _name(reference: Any) -> str | None:
    return _text(reference.get("name"))[:200] or None if isinstance(reference, dict) else None


class ConnectWiseHistory(ConnectWiseClient):
    source = "connectwise"

    def __init__(self, *args: Any, sleep: Sleep = asyncio.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        async def call() -> Any:
            return json_reply(VENDOR, await self._call("GET", path, 0, params=params))

        return await within_rate_limit(call, sleep=self._sleep)

    async def page(self, since: datetime, position: str | None) -> TicketPage:
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions = f"closedFlag=true and closedDate>=[{stamp}]"
        if position:
            conditions += f" and id>{int(position)}"
        tickets = await self._get(
            "service/tickets",
            {"conditions": conditions, "orderBy": "id asc", "page": 1, "pageSize": PAGE_SIZE},
        )
        tickets = (
            [t for t in tickets if isinstance(t, dict) and isinstance(t.get("id"), int)]
            if isinstance(tickets, list)
            else []
        )
        records = [await self._record(ticket) for ticket in tickets]
        last = str(tickets[-1]["id"]) if len(tickets) == PAGE_SIZE else None
        return TicketPage(records=records, position=last)

    async def _notes(self, ticket: int) -> list[dict[str, Any]]:
        notes: list[dict[str, Any]] = []
        for page in range(1, NOTE_PAGES + 1):
            got = await self._get(
                f"service/tickets/{ticket}/notes", {"orderBy": "id asc", "page": page, "pageSize": PAGE_SIZE}
            )
            batch = [n for n in got if isinstance(n, dict)] if isinstance(got, list) else []
            notes += batch
            if len(batch) < PAGE_SIZE:
                break
        return notes

    async def _record(self, ticket: dict[str, Any]) -> HistoryRecord | RowError:
        number = int(ticket["id"])
        notes = await self._notes(number)
        resolution = "\n".join(
            _text(n.get("text")) for n in notes if n.get("resolutionFlag") and _text(n.get("text"))
        )
        steps = [
            HistoryStep(action=_text(n.get("text")), at=step_time(n.get("dateCreated")))
            for n in notes
            if not n.get("resolutionFlag") and _text(n.get("text"))
        ][:MAX_STEPS]
        problem = _text(ticket.get("summary"))
        if not problem:
            return RowError(row=number, reason="the ticket has no summary")
        if not resolution:
            return RowError(row=number, reason="the ticket has no resolution note")
        try:
            closed = parse_closed_at(ticket.get("closedDate"))
        except Invalid as exc:
            return RowError(row=number, reason=str(exc))
        return HistoryRecord(
            ticket_id=str(number),
            problem=problem,
            resolution=resolution,
            steps=tuple(steps),
            client=_name(ticket.get("company")),
            category=(_name(ticket.get("type")) or _name(ticket.get("board")) or "")[:100] or None,
            closed_at=closed,
            technician=_text(ticket.get("closedBy"))[:200] or None,
            row=number,
        )
