"""HaloPSA API: ticket actions (notes) and ticket details.

OAuth2 client credentials with `scope=all` (without it Halo still issues a
token, and every API call then answers 401). The token is cached, renewed
`refresh_margin` seconds before it expires, and a 401 renews it and retries
once. `POST /Actions` takes a JSON array; the reply has been seen both as one
object and as an array, so both are read.

The token endpoint is not assumed: like HaloAPI's `Connect-HaloAPI`, the
client first asks `GET {api}/authinfo` for `auth_url` (and `tenant_id`, used
when no tenant is configured), posts to `{auth_url}/token`, and falls back to
the configured `{auth_url}/token` when the instance does not answer it.

`GET /Actions` returns a note's HTML only with `includehtmlnote=true` (the
HaloPSA schema; HaloAPI's `-IncludeHTMLNote`), and its default page size is
undocumented, so `find_note` asks for the HTML and pages explicitly with
`pageinate`/`page_size`/`page_no` until `record_count` is covered (HaloAPI's
`New-HaloGETRequest` pages the same way).
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable
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
    HaloPsaConfig,
    NoteRef,
    TicketInfo,
    marker_token,
    numeric_ticket_id,
    with_marker,
)

VENDOR = "HaloPSA"
DEFAULT_EXPIRES_IN = 3600.0
PAGE_SIZE = 100
MAX_PAGES = 20  # 2000 actions: far beyond any ticket
# RFC 6749 §5.2 codes that mean the credentials or the application are wrong.
_CREDENTIAL_ERRORS = {
    "invalid_client",
    "unauthorized_client",
    "invalid_grant",
    "invalid_scope",
    "access_denied",
}

logger = logging.getLogger(__name__)


class HaloPsaClient:
    vendor = VENDOR

    def __init__(
        self,
        config: HaloPsaConfig,
        *,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._client = client
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._token_lock = asyncio.Lock()
        # (token URL, tenant) once `authinfo` has answered (or said it never will).
        self._token_endpoint: tuple[str, str | None] | None = None

    async def add_note(self, ticket_id: str, text: str, *, internal: bool, marker: str) -> NoteRef:
        number = numeric_ticket_id(VENDOR, ticket_id)
        action = {
            "ticket_id": number,
            "outcome": self._config.internal_outcome if internal else self._config.public_outcome,
            "note_html": _as_html(with_marker(text, marker)),
            "hiddenfromuser": internal,
            "sendemail": False,
        }
        response = await self._api("POST", "Actions", number, json=[action])
        reply = json_reply(VENDOR, response)
        created = reply[0] if isinstance(reply, list) and reply else reply
        action_id = created.get("id") if isinstance(created, dict) else None
        if action_id is None:
            raise DeliveryFailed(
                f"HaloPSA answered {response.status_code} without an action id", retryable=True
            )
        return NoteRef(str(action_id))

    async def find_note(self, ticket_id: str, marker: str) -> NoteRef | None:
        number = numeric_ticket_id(VENDOR, ticket_id)
        token = marker_token(marker)
        params: dict[str, Any] = {
            "ticket_id": number,
            "excludesys": "true",
            "includehtmlnote": "true",
            "count": PAGE_SIZE,
            "pageinate": "true",
            "page_size": PAGE_SIZE,
        }
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            response = await self._api("GET", "Actions", number, params={**params, "page_no": page})
            reply = json_reply(VENDOR, response)
            actions = reply.get("actions") if isinstance(reply, dict) else reply
            actions = [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []
            for action in actions:
                if token in str(action.get("note_html") or "") or token in str(action.get("note") or ""):
                    return NoteRef(str(action.get("id")))
            ids = {str(action.get("id")) for action in actions}
            total = reply.get("record_count") if isinstance(reply, dict) else None
            # Done on a short page, once record_count is covered, or when paging is ignored
            # and the same actions come back again.
            if len(actions) < PAGE_SIZE or ids <= seen:
                return None
            if isinstance(total, int) and page * PAGE_SIZE >= total:
                return None
            seen |= ids
        return None

    async def get_ticket(self, ticket_id: str) -> TicketInfo | None:
        try:
            number = numeric_ticket_id(VENDOR, ticket_id)
        except DeliveryFailed:
            return None
        response = await self._api("GET", f"Tickets/{number}", number, accept=(404,))
        if response.status_code == 404:
            return None
        ticket = json_reply(VENDOR, response)
        if not isinstance(ticket, dict) or not ticket.get("id"):
            return None
        priority = ticket.get("priority")
        return TicketInfo(
            ticket_id=str(ticket["id"]),
            summary=str(ticket.get("summary") or ""),
            company=ticket.get("client_name") or None,
            priority=(priority.get("name") if isinstance(priority, dict) else None)
            or ticket.get("priority_name")
            or None,
            details=ticket.get("details") or None,
        )

    async def _api(
        self, method: str, path: str, ticket: int, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        url = f"{self._config.api_url.rstrip('/')}/{path}"
        token = await self._access_token()
        response = await self._send(method, url, token, **kwargs)
        if response.status_code == 401:
            # Expired early or revoked: one fresh token, one more try.
            token = await self._access_token(stale=token)
            response = await self._send(method, url, token, **kwargs)
            if response.status_code == 401:
                raise DeliveryFailed(
                    "HaloPSA answered 401 to a fresh token: the API application needs the 'all' "
                    f"permission and an agent to act as; {CHECK_KEYS}",
                    retryable=False,
                    status=401,
                )
        if response.is_success or response.status_code in accept:
            return response
        raise _failure(response, ticket)

    async def _send(self, method: str, url: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return await send_request(self._client, VENDOR, method, url, headers=headers, **kwargs)

    async def _access_token(self, *, stale: str | None = None) -> str:
        """The cached token, or a new one when it is `stale` or within `refresh_margin` of expiry."""
        async with self._token_lock:
            if self._token is not None and self._token != stale and self._clock() < self._renew_at:
                return self._token
            url, tenant = await self._token_url()
            params = {"tenant": tenant} if tenant else None
            form = {
                "grant_type": "client_credentials",
                "client_id": self._config.client_id,
                "client_secret": self._config.client_secret,
                "scope": "all",
            }
            asked_at = self._clock()
            response = await send_request(
                self._client,
                VENDOR,
                "POST",
                url,
                data=form,
                params=params,
            )
            if not response.is_success:
                raise _token_failure(response)
            reply = json_reply(VENDOR, response)
            token = reply.get("access_token") if isinstance(reply, dict) else None
            if not isinstance(token, str) or not token:
                raise DeliveryFailed(
                    "HaloPSA's token endpoint answered without an access_token", retryable=True
                )
            try:
                lifetime = float(reply.get("expires_in") or DEFAULT_EXPIRES_IN)
            except (TypeError, ValueError):
                lifetime = DEFAULT_EXPIRES_IN
            # Renew ahead of expiry, but not so far ahead that a short-lived token is never reused.
            self._token = token
            self._renew_at = asked_at + lifetime - min(self._config.refresh_margin, lifetime / 2)
            return token

    async def _token_url(self) -> tuple[str, str | None]:
        """Where to ask for a token, and the tenant to name: from `authinfo`, else the settings."""
        if self._token_endpoint is not None:
            return self._token_endpoint
        fallback = (f"{self._config.auth_url.rstrip('/')}/token", self._config.tenant)
        try:
            response = await send_request(
                self._client, VENDOR, "GET", f"{self._config.api_url.rstrip('/')}/authinfo"
            )
        except DeliveryFailed as exc:
            # Down or slow: the token request will say so; ask again next time.
            logger.info("HaloPSA authinfo lookup failed: %s", exc.message)
            return fallback
        if response.status_code >= 500:
            return fallback
        try:
            info = response.json() if response.is_success else None
        except ValueError:
            info = None
        auth_url = info.get("auth_url") if isinstance(info, dict) else None
        if isinstance(auth_url, str) and self._may_send_secret_to(auth_url):
            tenant = self._config.tenant or _text(info.get("tenant_id") if isinstance(info, dict) else None)
            self._token_endpoint = (f"{auth_url.rstrip('/')}/token", tenant)
        else:
            # The instance has no authinfo (or names an auth server we will not trust): settle
            # on the configured one, so the lookup is not repeated for every token.
            if auth_url is not None:
                logger.warning("HaloPSA authinfo named an auth_url we do not send secrets to")
            self._token_endpoint = fallback
        return self._token_endpoint

    def _may_send_secret_to(self, auth_url: str) -> bool:
        """https anywhere, or plain http only on the API's own host (a local or test instance)."""
        try:
            target, api = urlsplit(auth_url), urlsplit(self._config.api_url)
        except ValueError:
            return False
        if not target.hostname:
            return False
        if target.scheme == "https":
            return True
        return target.scheme == "http" and (target.hostname, target.port) == (api.hostname, api.port)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _as_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.splitlines())


def _said(response: httpx.Response) -> str:
    """Halo's error bodies vary: a JSON string, an object with a message, or text."""
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.text, 240)
    if isinstance(body, str):
        return excerpt(body, 240)
    if isinstance(body, dict):
        for key in ("message", "Message", "error_description", "title", "error"):
            if body.get(key):
                return excerpt(str(body[key]), 240)
    return excerpt(response.text, 240)


def _token_failure(response: httpx.Response) -> DeliveryFailed:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if response.status_code in (400, 401) and (error in _CREDENTIAL_ERRORS or response.status_code == 401):
        return DeliveryFailed(
            f"HaloPSA refused the client id or secret ({response.status_code} {error or 'Unauthorized'}); "
            f"{CHECK_KEYS}",
            retryable=False,
            status=response.status_code,
        )
    said = _said(response)
    return http_failure(
        VENDOR, response, f"{response.reason_phrase} from the token endpoint: {said}".rstrip(": ")
    )


def _failure(response: httpx.Response, ticket: int) -> DeliveryFailed:
    status = response.status_code
    said = _said(response)
    if status == 404:
        return DeliveryFailed(f"Ticket {ticket} not found in HaloPSA (404)", retryable=False, status=404)
    if status == 403:
        reason = f"Forbidden: the API application's agent may not do this ({said or 'no detail'})"
    else:
        reason = f"{response.reason_phrase}: {said}" if said else response.reason_phrase
    return http_failure(VENDOR, response, reason)
