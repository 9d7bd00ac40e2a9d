"""Signed webhooks after the Standard Webhooks convention (https://www.standardwebhooks.com).

Each POST carries `webhook-id`, `webhook-timestamp` and `webhook-signature`
(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with the bytes of a
`whsec_<base64>` secret), so receivers can verify with an existing library.
`webhook-id` is the delivery's idempotency key and stays the same on every
retry, which is what receivers dedupe on. The body is the envelope
`{"type", "timestamp", "data"}` that the convention recommends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from relaydesk.outbound.outcome import DeliveryFailed, Sent, excerpt, http_failure, send_request

SERVICE = "The webhook endpoint"
SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A new signing secret: 32 random bytes, shown to the receiver once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _secret_key(secret: str) -> bytes:
    encoded = secret.strip().removeprefix(SECRET_PREFIX).rstrip("=")
    try:
        # Secrets are accepted with or without their `=` padding, as verifier libraries do.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not whsec_ followed by base64") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256>`."""
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body)
    digest = hmac.new(_secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def envelope(event_type: str, payload: dict[str, Any], *, at: datetime) -> bytes:
    """The exact bytes that are signed and sent."""
    document = {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": payload}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def post_webhook(
    url: str,
    secret: str,
    *,
    msg_id: str,
    event_type: str,
    payload: dict[str, Any],
    client: httpx.AsyncClient,
    timestamp: int | None = None,
) -> Sent:
    """Sign and POST one event; any 2xx is success. Redirects are not followed (nor re-signed)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    body = envelope(event_type, payload, at=datetime.fromtimestamp(timestamp, UTC))
    try:
        signature = sign(secret, msg_id, timestamp, body)
    except ValueError as exc:
        raise DeliveryFailed(
            f"The webhook could not be signed: {exc}; generate a new secret in Settings → Integrations",
            retryable=False,
        ) from None
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    response = await send_request(client, SERVICE, "POST", url, content=body, headers=headers)
    if 200 <= response.status_code < 300:
        return Sent(
            external_id=msg_id, detail=f"The endpoint accepted event {msg_id} ({response.status_code})"
        )
    raise _failure(response)


def _failure(response: httpx.Response) -> DeliveryFailed:
    status = response.status_code
    if 300 <= status < 400:
        return DeliveryFailed(
            f"{SERVICE} answered {status}: it redirects elsewhere; "
            "set the final URL in Settings → Integrations",
            retryable=False,
            status=status,
        )
    if status == 410:
        # Standard Webhooks: 410 Gone means the receiver wants no more deliveries.
        return http_failure(SERVICE, response, "Gone: the receiver disabled this endpoint")
    body = excerpt(response.text, 200) if response.content else ""
    return http_failure(
        SERVICE, response, f"{response.reason_phrase}: {body}" if body else response.reason_phrase
    )
