"""Autotask PSA (REST v1.0): completed tickets and their notes, as history records.

Listing: `POST {zone}V1.0/Tickets/query` with `{"MaxRecords": N, "filter": [{"op": "gte", "field":
"completedDate", "value": ISO}, {"op": "gt", "field": "id", "value": last id}]}` (top-level filter
items are ANDed; query results come in id order) → `{"items": [...], "pageDetails": {...}}`: keyset
paging on the id, so the position is the last id read. The ticket's `resolution` field is the
resolution (a ticket without one is reported and skipped); its notes (`GET Tickets/{id}/Notes`, paged by
`pageDetails.nextPageUrl`) are the steps.

Zone lookup, auth headers and error mapping are the notes client's own: this class extends it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from relaydesk.imports.psa import Sleep, TicketPage, within_rate_limit
from relaydesk.imports.records import MAX_STEPS, HistoryRecord, HistoryStep, RowError
from relaydesk.imports.validate import Invalid, parse_closed_at, step_time
from relaydesk.outbound.outcome import json_reply
from relaydesk.psa.autotask import VENDOR, AutotaskClient

PAGE_SIZE = 200
NOTE_PAGES = 10


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


class AutotaskHistory(AutotaskClient):
    source = "autotask"

    def __init__(self, *args: Any, sleep: Sleep = asyncio.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep

    async def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        async def call() -> Any:
            return json_reply(VENDOR, await self._call_url(method, url, None, **kwargs))

        return await within_rate_limit(call, sleep=self._sleep)

    async def page(self, since: datetime, position: str | None) -> TicketPage:
        zone = await self._zone()
        conditions: list[dict[str, Any]] = [
            {
                "op": "gte",
                "field": "completedDate",
                "value": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ]
        if position:
            conditions.append({"op": "gt", "field": "id", "value": int(position)})
        reply = await self._send(
            "POST", f"{zone}V1.0/Tickets/query", json={"MaxRecords": PAGE_SIZE, "filter": conditions}
        )
        items = reply.get("items") if isinstance(reply, dict) else None
        tickets = (
            [t for t in items if isinstance(t, dict) and isinstance(t.get("id"), int)]
            if isinstance(items, list)
            else []
        )
        records = [await self._record(zone, ticket) for ticket in tickets]
        return TicketPage(
            records=records, position=str(tickets[-1]["id"]) if len(tickets) == PAGE_SIZE else None
        )

    async def _notes(self, zone: str, ticket: int) -> list[HistoryStep]:
        steps: list[HistoryStep] = []
        url: str | None = f"{zone}V1.0/Tickets/{ticket}/Notes"
        for _ in range(NOTE_PAGES):
            if url is None:
                break
            page = await self._send("GET", url)
            items = page.get("items") if isinstance(page, dict) else None
            steps += [
                HistoryStep(action=_text(n.get("description")), at=step_time(n.get("createDateTime")))
                for n in items or []
                if isinstance(n, dict) and _text(n.get("description"))
            ]
            details = page.get("pageDetails") if isinstance(page, dict) else None
            url = details.get("nextPageUrl") if isinstance(details, dict) else None
            if url is not None and not str(url).startswith(zone):
                break  # never send the Secret header anywhere but the tenant's zone
        return steps

    async def _record(self, zone: str, ticket: dict[str, Any]) -> HistoryRecord | RowError:
        number = int(ticket["id"])
        problem, resolution = _text(ticket.get("title")), _text(ticket.get("resolution"))
        if not problem:
            return RowError(row=number, reason="the ticket has no title")
        if not resolution:
            return RowError(row=number, reason="the ticket has no resolution")
        try:
            closed = parse_closed_at(ticket.get("completedDate"))
        except Invalid as exc:
            return RowError(row=number, reason=str(exc))
        notes = await self._notes(zone, number)
        return HistoryRecord(
            ticket_id=str(number),
            problem=problem,
            resolution=resolution,
            steps=tuple(notes[:MAX_STEPS]),
            client=((await self._company_name(ticket.get("companyID"))) or "")[:200] or None,
            closed_at=closed,
            row=number,
        )
