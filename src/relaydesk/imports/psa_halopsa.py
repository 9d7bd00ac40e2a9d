"""HaloPSA: closed tickets and their actions, as history records.

Listing: `GET /api/Tickets?pageinate=true&page_size=N&page_no=P&closed_only=true&datesearch=dateclosed
&startdate=ISO&order=id&orderdesc=false` → `{"record_count", "tickets": [...]}`; the position is the
next page number. Halo pages by offset, not keyset: a ticket closed during the import shifts later
pages forward, which re-reads a ticket (a no-op, idempotent by id) but never skips one; a ticket
re-opened mid-import could shift one back, so a rerun (which rescans the window) picks up anything
missed. Actions: `GET /api/Actions?ticket_id=N&excludesys=true`. *Unsure* which action holds the
resolution across tenants: the actions whose outcome names a resolution or closure make it (else the
ticket is reported and skipped); the other actions are steps (notes).

Auth (client-credentials token, one retry on 401) is the notes client's own: this class extends it.
"""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime
from typing import Any

from relaydesk.imports.psa import Sleep, TicketPage, within_rate_limit
from relaydesk.imports.records import MAX_STEPS, HistoryRecord, HistoryStep, RowError
from relaydesk.imports.validate import Invalid, parse_closed_at, step_time
from relaydesk.outbound.outcome import json_reply
from relaydesk.psa.halopsa import VENDOR, HaloPsaClient

PAGE_SIZE = 100
_RESOLVING = re.compile(r"resol|clos|complet", re.IGNORECASE)


def _plain(value: Any) -> str:
    text = html.unescape(re.sub(r"<br\s*/?>|</p>", "\n", str(value or ""), flags=re.IGNORECASE))
    return re.sub(r"<[^>]+>", "", text).strip()


class HaloPsaHistory(HaloPsaClient):
    source = "halopsa"

    def __init__(self, *args: Any, sleep: Sleep = asyncio.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        async def call() -> Any:
            return json_reply(VENDOR, await self._api("GET", path, 0, params=params))

        return await within_rate_limit(call, sleep=self._sleep)

    async def page(self, since: datetime, position: str | None) -> TicketPage:
        number = int(position or 1)
        reply = await self._get(
            "Tickets",
            {
                "pageinate": "true",
                "page_size": PAGE_SIZE,
                "page_no": number,
                "closed_only": "true",
                "datesearch": "dateclosed",
                "startdate": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "order": "id",
                "orderdesc": "false",
            },
        )
        tickets = reply.get("tickets") if isinstance(reply, dict) else reply
        tickets = (
            [t for t in tickets if isinstance(t, dict) and t.get("id")] if isinstance(tickets, list) else []
        )
        records = [await self._record(ticket) for ticket in tickets]
        return TicketPage(records=records, position=str(number + 1) if len(tickets) == PAGE_SIZE else None)

    async def _record(self, ticket: dict[str, Any]) -> HistoryRecord | RowError:
        number = int(ticket["id"])
        # The note text comes only with includehtmlnote=true (the HaloPSA schema; issue 21).
        reply = await self._get(
            "Actions", {"ticket_id": number, "excludesys": "true", "includehtmlnote": "true", "count": "1000"}
        )
        actions = reply.get("actions") if isinstance(reply, dict) else reply
        actions = [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []
        texts = [
            (str(a.get("outcome") or ""), _plain(a.get("note") or a.get("note_html")), a.get("datetime"))
            for a in actions
        ]
        resolution = "\n".join(t for outcome, t, _ in texts if t and _RESOLVING.search(outcome))
        steps = [
            HistoryStep(action=t, at=step_time(at))
            for outcome, t, at in texts
            if t and not _RESOLVING.search(outcome)
        ]
        problem = _plain(ticket.get("summary"))
        if not problem:
            return RowError(row=number, reason="the ticket has no summary")
        if not resolution:
            return RowError(row=number, reason="the ticket has no resolving action")
        try:
            closed = parse_closed_at(ticket.get("dateclosed"))
        except Invalid as exc:
            return RowError(row=number, reason=str(exc))
        return HistoryRecord(
            ticket_id=str(number),
            problem=problem,
            resolution=resolution,
            steps=tuple(steps[:MAX_STEPS]),
            client=(str(ticket.get("client_name") or "")[:200]) or None,
            category=(str(ticket.get("category_1") or "")[:100]) or None,
            closed_at=closed,
            technician=(str(ticket.get("agent_name") or "")[:200]) or None,
            row=number,
        )
