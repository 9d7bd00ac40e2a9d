"""What one attempt to send an outbound message came to.

Every channel client (email, Slack, Teams, webhook, the PSA clients) either
returns a `Sent` or raises `DeliveryFailed`. Vendor errors are translated into
`DeliveryFailed` once, in the vendor's module; the delivery worker only reads
`retryable`, `retry_after` and `message` and never looks at a vendor's reply.

Messages are shown to people on the delivery row, so they say what happened
in words and never carry secrets: no API keys, passwords, tokens, and no
webhook URLs (a Slack or Teams webhook URL is itself the credential). Of a
remote body they carry at most a short excerpt without control characters.

This lives beside the guarded transport, not in deliveries: PSA lookups and
deliveries share it.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from relaydesk.outbound.transport import OutboundRefused

# Vendor bodies can be whole HTML error pages; a delivery row needs a glimpse, and never more than
# this much of what a remote server said (invariant 9: a body is not echoed back to us).
BODY_EXCERPT_CHARS = 200

_E = TypeVar("_E", bound=BaseException)

# Control and format characters (terminal escapes, NUL, bidi overrides) never reach a page or a log.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True, slots=True)
class Sent:
    """The vendor accepted the message."""

    external_id: str | None
    detail: str


class DeliveryFailed(Exception):
    """One attempt failed; `retryable` tells the worker whether to try again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status

    def __repr__(self) -> str:
        return (
            f"DeliveryFailed({self.message!r}, retryable={self.retryable}, "
            f"retry_after={self.retry_after}, status={self.status})"
        )


def is_retryable_status(status: int) -> bool:
    """429, 408 and 5xx may pass on their own; any other 4xx will fail the same way again."""
    return status in (408, 429) or status >= 500


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; an obsolete form may parse naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def excerpt(text: str, limit: int = BODY_EXCERPT_CHARS) -> str:
    """One line of a vendor reply, short enough for a delivery row: at most `BODY_EXCERPT_CHARS`,
    whatever the caller asks, with control characters dropped."""
    limit = min(limit, BODY_EXCERPT_CHARS)
    flat = " ".join(_UNPRINTABLE.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def http_failure(service: str, response: httpx.Response, reason: str) -> DeliveryFailed:
    """A vendor answered with an error status; `reason` is the vendor-specific explanation."""
    status = response.status_code
    return DeliveryFailed(
        f"{service} answered {status} {reason}".rstrip(),
        retryable=is_retryable_status(status),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        status=status,
    )


def json_reply(service: str, response: httpx.Response) -> Any:
    """The parsed JSON body, or a retryable failure: a proxy's HTML page is not the vendor's answer."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = excerpt(response.text, 80) if response.content else "an empty body"
        raise DeliveryFailed(
            f"{service} answered {response.status_code} with a reply that is not JSON: {body}",
            retryable=True,
            status=response.status_code,
        ) from None


def _found(exc: BaseException, kind: type[_E]) -> _E | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _in_chain(exc: BaseException, kind: type[BaseException]) -> bool:
    return _found(exc, kind) is not None


def transport_failure(service: str, exc: Exception) -> DeliveryFailed:
    """Map an httpx error that came before any HTTP status into a DeliveryFailed.

    Network trouble is retryable; a URL we cannot even send to is not, since it
    will not fix itself. The exception text from httpx names neither the URL nor
    any header, so a short excerpt of it is safe to show.
    """
    detail = excerpt(str(exc), 120)
    refused = _found(exc, OutboundRefused)
    if refused is not None:
        return DeliveryFailed(f"{service} was not called: {refused.reason}", retryable=False)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return DeliveryFailed(
            f"{service} could not be called: the configured URL is not a valid http(s) URL",
            retryable=False,
        )
    if isinstance(exc, httpx.LocalProtocolError):
        return DeliveryFailed(f"{service} could not be called: {detail}", retryable=False)
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"{service} could not be reached: connecting timed out"
    elif isinstance(exc, httpx.PoolTimeout):
        message = f"{service} could not be called: no free connection within the timeout"
    elif isinstance(exc, httpx.TimeoutException):
        message = f"{service} did not answer within the timeout"
    elif isinstance(exc, httpx.ConnectError) and _in_chain(exc, ssl.SSLError):
        message = f"TLS handshake with {service} failed: {detail}"
    elif isinstance(exc, httpx.ConnectError) and (
        _in_chain(exc, ConnectionRefusedError) or "refused" in detail.lower()
    ):
        message = f"{service} could not be reached: connection refused (is it down?)"
    elif isinstance(exc, httpx.ConnectError) and _in_chain(exc, socket.gaierror):
        message = f"{service} could not be reached: its host name does not resolve ({detail})"
    elif isinstance(exc, httpx.ConnectError):
        message = f"{service} could not be reached: {detail or type(exc).__name__}"
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        message = f"{service} sent a malformed reply: {detail or type(exc).__name__}"
    elif isinstance(exc, httpx.ReadError | httpx.WriteError):
        message = f"{service} dropped the connection: {detail or type(exc).__name__}"
    else:
        message = f"{service} could not be called: {detail or type(exc).__name__}"
    return DeliveryFailed(message, retryable=True)


async def send_request(
    client: httpx.AsyncClient, service: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """`client.request(...)`, with transport errors already mapped by `transport_failure`."""
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise transport_failure(service, exc) from exc
