"""ConnectWise PSA (Manage) REST API 3.0: ticket notes and ticket details.

Auth is Basic `companyId+publicKey:privateKey` plus a `clientId` header on
every request. Errors are JSON `{"code", "message", "errors": [{"code",
"message", "field"}]}`.

The ticket's description is its first note flagged `detailDescriptionFlag`:
the schema marks `initialDescription` "only available for POST, will not be
returned in the response", so `get_ticket` reads it from the notes.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx

from relaydesk.outbound.outcome import (
    DeliveryFailed,
    excerpt,
    http_failure,
    json_reply,
    send_request,
)
from relaydesk.psa.base import (
    CHECK_KEYS,
    ConnectWiseConfig,
    NoteRef,
    TicketInfo,
    marker_token,
    numeric_ticket_id,
    with_marker,
)

VENDOR = "ConnectWise"
PAGE_SIZE = 100
MAX_PAGES = 20  # 2000 notes: far beyond any ticket; the note we look for is among the newest
DESCRIPTION_PAGE = 25  # the description note is the ticket's first; a short page finds it
# Manage versions differ in how they refuse a condition on `text`, so any 4xx to it means "no
# search here, page instead" except these: bad keys and rate limits, which paging cannot cure.
_NOT_A_SEARCH_REFUSAL = (401, 407, 429)

logger = logging.getLogger(__name__)


class ConnectWiseClient:
    vendor = VENDOR

    def __init__(self, config: ConnectWiseConfig, *, client: httpx.AsyncClient) -> None:
        self._config = config
        self._client = client
        credentials = f"{config.company_id}+{config.public_key}:{config.private_key}"
        self._headers = {
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
            "clientId": config.client_id,
            "Accept": "application/json",
        }

    async def add_note(self, ticket_id: str, text: str, *, internal: bool, marker: str) -> NoteRef:
        number = numeric_ticket_id(VENDOR, ticket_id)
        note = {
            "text": with_marker(text, marker),
            # At least one flag must be true or ConnectWise answers 400 InvalidObject.
            "detailDescriptionFlag": not internal,
            "internalAnalysisFlag": internal,
            "resolutionFlag": False,
        }
        response = await self._call("POST", f"service/tickets/{number}/notes", number, json=note)
        created = json_reply(VENDOR, response)
        note_id = created.get("id") if isinstance(created, dict) else None
        if note_id is None:
            raise DeliveryFailed(
                f"ConnectWise answered {response.status_code} without a note id", retryable=True
            )
        return NoteRef(str(note_id))

    async def find_note(self, ticket_id: str, marker: str) -> NoteRef | None:
        number = numeric_ticket_id(VENDOR, ticket_id)
        token = marker_token(marker)
        path = f"service/tickets/{number}/notes"
        base = {"pageSize": PAGE_SIZE, "orderBy": "id desc", "fields": "id,text"}
        # Ask ConnectWise to filter first; some versions refuse conditions on `text`, so on a
        # 4xx read the notes page by page instead. `contains` gets the bare marker: brackets
        # are wildcards in ConnectWise's SQL LIKE.
        refusals = tuple(code for code in range(400, 500) if code not in _NOT_A_SEARCH_REFUSAL)
        filtered = await self._call(
            "GET", path, number, params={**base, "conditions": f'text contains "{marker}"'}, accept=refusals
        )
        if filtered.is_success:
            return _note_with(json_reply(VENDOR, filtered), token)
        for page in range(1, MAX_PAGES + 1):
            response = await self._call("GET", path, number, params={**base, "page": page})
            notes = json_reply(VENDOR, response)
            found = _note_with(notes, token)
            if found is not None:
                return found
            if not isinstance(notes, list) or len(notes) < PAGE_SIZE:
                return None
        return None

    async def get_ticket(self, ticket_id: str) -> TicketInfo | None:
        try:
            number = numeric_ticket_id(VENDOR, ticket_id)
        except DeliveryFailed:
            return None
        response = await self._call("GET", f"service/tickets/{number}", number, accept=(404,))
        if response.status_code == 404:
            return None
        ticket = json_reply(VENDOR, response)
        if not isinstance(ticket, dict):
            raise DeliveryFailed(
                f"ConnectWise answered {response.status_code} without a ticket", retryable=True
            )
        return TicketInfo(
            ticket_id=str(ticket.get("id", number)),
            summary=str(ticket.get("summary") or ""),
            company=_name(ticket.get("company")),
            priority=_name(ticket.get("priority")),
            details=await self._description(number),
        )

    async def _description(self, number: int) -> str | None:
        """The text of the ticket's first description note; best effort, like the prefill it feeds."""
        params = {
            "pageSize": DESCRIPTION_PAGE,
            "orderBy": "id asc",
            "fields": "id,text,detailDescriptionFlag",
        }
        try:
            response = await self._call("GET", f"service/tickets/{number}/notes", number, params=params)
            notes = json_reply(VENDOR, response)
        except DeliveryFailed as exc:
            logger.info("ConnectWise ticket %s description lookup failed: %s", number, exc.message)
            return None
        for note in notes if isinstance(notes, list) else []:
            if isinstance(note, dict) and note.get("detailDescriptionFlag") is True:
                return str(note.get("text") or "") or None
        return None

    async def _call(
        self, method: str, path: str, ticket: int, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        response = await send_request(
            self._client, VENDOR, method, self._config.api_base + path, headers=self._headers, **kwargs
        )
        if response.is_success or response.status_code in accept:
            return response
        raise _failure(response, ticket)


def _name(reference: Any) -> str | None:
    return str(reference["name"]) if isinstance(reference, dict) and reference.get("name") else None


def _note_with(notes: Any, token: str) -> NoteRef | None:
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, dict) and token in str(note.get("text") or ""):
            return NoteRef(str(note.get("id")))
    return None


def _failure(response: httpx.Response, ticket: int) -> DeliveryFailed:
    status = response.status_code
    try:
        error = response.json()
    except ValueError:
        error = None
    code = str(error.get("code") or "") if isinstance(error, dict) else ""
    message = str(error.get("message") or "") if isinstance(error, dict) else excerpt(response.text, 200)
    details = [
        str(item.get("message"))
        for item in (error.get("errors") or [] if isinstance(error, dict) else [])
        if isinstance(item, dict) and item.get("message")
    ]
    said = excerpt("; ".join([message, *details]) if message else "; ".join(details), 240)
    if status == 401:
        reason = f"Unauthorized: the company id or API keys were refused; {CHECK_KEYS}"
    elif status == 403:
        reason = f"Forbidden: the API member's security role does not allow this ({said or 'no detail'})"
    elif status == 404:
        return DeliveryFailed(f"Ticket {ticket} not found in ConnectWise (404)", retryable=False, status=404)
    elif status == 400 and "clientid" in said.lower().replace(" ", ""):
        reason = (
            f"{code or 'BadRequest'}: the clientId was refused ({said}); check it in Settings → Integrations"
        )
    elif code == "InvalidObject":
        reason = f"InvalidObject: ConnectWise rejected the note ({said})"
    else:
        reason = f"{code or response.reason_phrase}: {said}" if said else code or response.reason_phrase
    return http_failure(VENDOR, response, reason)
