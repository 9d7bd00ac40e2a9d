"""Moved to `relaydesk.outbound.outcome` (PSA lookups and deliveries share it); this name stays only
so branches written against the old path still import. New code imports the new path."""

from relaydesk.outbound.outcome import (
    BODY_EXCERPT_CHARS,
    DeliveryFailed,
    Sent,
    excerpt,
    http_failure,
    is_retryable_status,
    json_reply,
    parse_retry_after,
    send_request,
    transport_failure,
)

__all__ = [
    "BODY_EXCERPT_CHARS",
    "DeliveryFailed",
    "Sent",
    "excerpt",
    "http_failure",
    "is_retryable_status",
    "json_reply",
    "parse_retry_after",
    "send_request",
    "transport_failure",
]
