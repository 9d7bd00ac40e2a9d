"""Autotask PSA REST API v1.0: ticket notes and ticket details.

Every tenant lives in one zone; `zoneInformation?user=` names the zone's base
URL, which is cached per API user; the lookup answers 500 for a user it does
not know (django-autotask's `get_zone_info`: "AT returns 500 if username is
blank or incorrect"), which no retry mends. Calls carry the
`ApiIntegrationCode`, `UserName` and `Secret` headers. Errors are JSON
`{"errors": ["..."]}`, and Autotask uses 500 for many of them, validation
included.

A collection reply names its next page in `pageDetails.nextPageUrl`; that URL
is requested with the method of the first page (GET for a child collection
such as `Tickets/{id}/Notes`; django-autotask's `fetch_resource` re-sends a
`next_url` with the same method, POST only for its POSTed queries).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

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
    AutotaskConfig,
    NoteRef,
    TicketInfo,
    marker_token,
    numeric_ticket_id,
    with_marker,
)

VENDOR = "Autotask"
MAX_PAGES = 20
TITLE_CHARS = 100  # TicketNotes.title allows 250; the first line of the note reads better short
DESCRIPTION_CHARS = 32000  # TicketNotes.description

logger = logging.getLogger(__name__)

# (zone lookup URL, API user) -> zone base URL. A tenant's zone practically never moves,
# and the worker makes a client per delivery, so the cache outlives clients.
_zones: dict[tuple[str, str], str] = {}


def clear_zone_cache() -> None:
    """Forget every looked-up zone (tests; or after an API user moved tenants)."""
    _zones.clear()


class AutotaskClient:
    vendor = VENDOR

    def __init__(self, config: AutotaskConfig, *, client: httpx.AsyncClient) -> None:
        self._config = config
        self._client = client
        self._headers = {
            "ApiIntegrationCode": config.integration_code,
            "UserName": config.username,
            "Secret": config.secret,
            "Accept": "application/json",
        }
        self._priorities: dict[str, str] | None = None

    async def add_note(self, ticket_id: str, text: str, *, internal: bool, marker: str) -> NoteRef:
        number = numeric_ticket_id(VENDOR, ticket_id)
        token = marker_token(marker)
        room = DESCRIPTION_CHARS - len(token) - 3
        body = text if len(text) <= room else text[: room - 1] + "…"
        note = {
            "ticketID": number,
            "title": _title(text),
            "description": with_marker(body, marker),
            "noteType": self._config.note_type,
            "publish": self._config.publish_internal if internal else self._config.publish_public,
        }
        response = await self._call("POST", f"V1.0/Tickets/{number}/Notes", number, json=note)
        created = json_reply(VENDOR, response)
        item_id = created.get("itemId") if isinstance(created, dict) else None
        if item_id is None:
            raise DeliveryFailed(
                f"Autotask answered {response.status_code} without an itemId", retryable=True
            )
        return NoteRef(str(item_id))

    async def find_note(self, ticket_id: str, marker: str) -> NoteRef | None:
        number = numeric_ticket_id(VENDOR, ticket_id)
        token = marker_token(marker)
        zone = await self._zone()
        url: str | None = f"{zone}V1.0/Tickets/{number}/Notes"
        for _ in range(MAX_PAGES):
            if url is None:
                return None
            response = await self._call_url("GET", url, number)
            page = json_reply(VENDOR, response)
            items = page.get("items") if isinstance(page, dict) else None
            for note in items if isinstance(items, list) else []:
                if isinstance(note, dict) and token in str(note.get("description") or ""):
                    return NoteRef(str(note.get("id")))
            details = page.get("pageDetails") if isinstance(page, dict) else None
            url = details.get("nextPageUrl") if isinstance(details, dict) else None
            if url is not None and not _same_origin(str(url), zone):
                # Never send the Secret header anywhere but the tenant's zone.
                logger.warning("Autotask nextPageUrl left the zone; stopped reading notes")
                return None
        return None

    async def get_ticket(self, ticket_id: str) -> TicketInfo | None:
        try:
            number = numeric_ticket_id(VENDOR, ticket_id)
        except DeliveryFailed:
            return None
        response = await self._call("GET", f"V1.0/Tickets/{number}", number, accept=(404,))
        if response.status_code == 404:
            return None
        reply = json_reply(VENDOR, response)
        # An unknown id comes back as 404 or as 200 with "item": null.
        ticket = reply.get("item") if isinstance(reply, dict) else None
        if not isinstance(ticket, dict):
            return None
        return TicketInfo(
            ticket_id=str(ticket.get("id", number)),
            summary=str(ticket.get("title") or ""),
            company=await self._company_name(ticket.get("companyID")),
            priority=await self._priority_label(ticket.get("priority")),
            details=ticket.get("description") or None,
        )

    async def _company_name(self, company_id: Any) -> str | None:
        """Best effort: the ticket is still useful without the company's name."""
        if company_id is None:
            return None
        try:
            response = await self._call("GET", f"V1.0/Companies/{int(company_id)}", None)
            item = json_reply(VENDOR, response).get("item")
        except (DeliveryFailed, AttributeError, TypeError, ValueError) as exc:
            logger.info("Autotask company %s lookup failed: %s", company_id, exc)
            return None
        return str(item["companyName"]) if isinstance(item, dict) and item.get("companyName") else None

    async def _priority_label(self, value: Any) -> str | None:
        """Ticket priority is a picklist number; its label comes from the field definitions."""
        if value is None:
            return None
        if self._priorities is None:
            try:
                response = await self._call("GET", "V1.0/Tickets/entityInformation/fields", None)
                fields = json_reply(VENDOR, response).get("fields") or []
                picklist = next(f for f in fields if f.get("name") == "priority").get("picklistValues") or []
                self._priorities = {str(v["value"]): str(v["label"]) for v in picklist}
            except (DeliveryFailed, AttributeError, KeyError, StopIteration, TypeError) as exc:
                logger.info("Autotask priority picklist lookup failed: %s", exc)
                return None
        return self._priorities.get(str(value))

    async def _zone(self) -> str:
        key = (self._config.zone_lookup_url, self._config.username.lower())
        if key in _zones:
            return _zones[key]
        # The lookup needs only the user name; no secret goes to it.
        response = await send_request(
            self._client, VENDOR, "GET", self._config.zone_lookup_url, params={"user": self._config.username}
        )
        if response.status_code in (400, 404, 500):
            # 500 is how Autotask answers for a user name it does not know; 400/404 say the same.
            raise DeliveryFailed(
                f"Autotask does not know the API user {self._config.username!r} "
                f"({response.status_code}); check the user name in Settings → Integrations",
                retryable=False,
                status=response.status_code,
            )
        if not response.is_success:
            raise _failure(response, None)
        zone = json_reply(VENDOR, response)
        url = zone.get("url") if isinstance(zone, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise DeliveryFailed("Autotask's zone lookup answered without a zone URL", retryable=True)
        _zones[key] = url.rstrip("/") + "/"
        return _zones[key]

    async def _call(
        self, method: str, path: str, ticket: int | None, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        return await self._call_url(method, await self._zone() + path, ticket, accept=accept, **kwargs)

    async def _call_url(
        self, method: str, url: str, ticket: int | None, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        response = await send_request(self._client, VENDOR, method, url, headers=self._headers, **kwargs)
        if response.is_success or response.status_code in accept:
            return response
        if response.status_code == 401:
            # Fixed credentials may come with a tenant moved to another zone: look it up again.
            _zones.pop((self._config.zone_lookup_url, self._config.username.lower()), None)
        raise _failure(response, ticket)


def _same_origin(url: str, zone: str) -> bool:
    """Scheme, host and port as the zone's; host names compare without case (RFC 3986 §3.2.2)."""
    try:
        there, here = urlsplit(url), urlsplit(zone)
        return (there.scheme.lower(), there.hostname, there.port) == (
            here.scheme.lower(),
            here.hostname,
            here.port,
        )
    except ValueError:  # a port that is not a number
        return False


def _title(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "") or "Relaydesk note"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def _errors(response: httpx.Response) -> list[str]:
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        return []
    return [str(error) for error in errors] if isinstance(errors, list) else []


def _failure(response: httpx.Response, ticket: int | None) -> DeliveryFailed:
    status = response.status_code
    errors = _errors(response)
    said = excerpt("; ".join(errors) if errors else response.text, 240)
    if status == 401:
        reason = f"Unauthorized: the API user, secret or integration code was refused; {CHECK_KEYS}"
    elif status == 403:
        reason = f"Forbidden: the API user's security level does not allow this ({said or 'no detail'})"
    elif status == 404 and ticket is not None:
        return DeliveryFailed(f"Ticket {ticket} not found in Autotask (404)", retryable=False, status=404)
    elif status == 429:
        reason = "TooManyRequests: over Autotask's hourly request threshold"
    elif status == 500 and any(field in said for field in ("noteType", "publish")):
        # Autotask reports a picklist value the tenant lacks as a 500; retrying cannot help.
        return DeliveryFailed(
            f"Autotask rejected the note's type or publish setting ({said}); "
            "set them in Settings → Integrations to values from the tenant's TicketNotes picklists",
            retryable=False,
            status=500,
        )
    else:
        reason = f"{response.reason_phrase}: {said}" if said else response.reason_phrase
    return http_failure(VENDOR, response, reason)
