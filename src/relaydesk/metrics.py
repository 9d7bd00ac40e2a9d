"""Process metrics in the Prometheus text format (prometheus-client), served at /metrics.

One registry per process (each replica and worker is scraped on its own). Code that counts something
calls one of the small functions here; nothing else in the application touches prometheus_client.
This module imports nothing from relaydesk, so any module may import it.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_MODEL_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)

HTTP_LATENCY = Histogram(
    "relaydesk_http_request_duration_seconds",
    "HTTP request latency by route template, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
SSE_SUBSCRIBERS = Gauge(
    "relaydesk_sse_subscribers", "Live (SSE) streams open in this process.", registry=REGISTRY
)
FANOUT_LAG = Histogram(
    "relaydesk_event_fanout_lag_seconds",
    "From an event's commit-time timestamp to its publication to this process's subscribers.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0),
    registry=REGISTRY,
)
JOBS_PENDING = Gauge(
    "relaydesk_jobs_pending",
    "Summary jobs and deliveries not finished yet, by queue, channel and status (read at scrape time).",
    ["queue", "channel", "status"],
    registry=REGISTRY,
)
JOBS_OLDEST = Gauge(
    "relaydesk_jobs_oldest_age_seconds",
    "Age of the oldest unfinished summary job or delivery, by queue, channel and status.",
    ["queue", "channel", "status"],
    registry=REGISTRY,
)
MODEL_LATENCY = Histogram(
    "relaydesk_model_call_duration_seconds",
    "Model call latency by purpose.",
    ["purpose"],
    buckets=_MODEL_BUCKETS,
    registry=REGISTRY,
)
MODEL_FAILURES = Counter(
    "relaydesk_model_call_failures",
    "Model calls that did not give a usable answer, by reason.",
    ["reason"],
    registry=REGISTRY,
)
REDACTIONS = Counter(
    "relaydesk_redactions", "Secrets redacted before text left, by kind.", ["kind"], registry=REGISTRY
)
LOGIN_FAILURES = Counter("relaydesk_login_failures", "Failed password sign-ins.", registry=REGISTRY)
UNCERTAIN_RESENDS = Counter(
    "relaydesk_delivery_uncertain_resends",
    "Retries of a delivery whose earlier attempt may have reached the far side (email past DATA).",
    ["channel"],
    registry=REGISTRY,
)
LEASES_RELEASED = Counter(
    "relaydesk_job_leases_released",
    "Jobs given back at shutdown so another worker resumes them at once.",
    ["queue"],
    registry=REGISTRY,
)
DATABASE_UP = Gauge(
    "relaydesk_database_up",
    "1 while the database answers this process, 0 during an outage.",
    registry=REGISTRY,
)
DATABASE_UP.set(1)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_LATENCY.labels(route=route, method=method, status=str(status)).observe(seconds)


def subscriber_opened() -> None:
    SSE_SUBSCRIBERS.inc()


def subscriber_closed() -> None:
    SSE_SUBSCRIBERS.dec()


def observe_fanout_lag(seconds: float) -> None:
    FANOUT_LAG.observe(max(0.0, seconds))


def observe_model_call(purpose: str, seconds: float, failure_reason: str | None) -> None:
    MODEL_LATENCY.labels(purpose=purpose).observe(seconds)
    if failure_reason:
        MODEL_FAILURES.labels(reason=_reason_label(failure_reason)).inc()


def count_redaction(kind: str, n: int = 1) -> None:
    """For the redaction code: `n` secrets of `kind` (password, api_key, ...) were redacted."""
    if n > 0:
        REDACTIONS.labels(kind=kind).inc(n)


def count_login_failure() -> None:
    LOGIN_FAILURES.inc()


def count_uncertain_resend(channel: str) -> None:
    UNCERTAIN_RESENDS.labels(channel=channel).inc()


def count_lease_released(queue: str) -> None:
    LEASES_RELEASED.labels(queue=queue).inc()


def set_database_up(up: bool) -> None:
    DATABASE_UP.set(1 if up else 0)


def set_queue_stats(rows: Iterable[tuple[str, str, str, int, float]]) -> None:
    """(queue, channel, status, count, oldest age in seconds) for every group that has rows now;
    groups that emptied since the last scrape go to 0."""
    seen = set()
    for queue, channel, status, count, oldest in rows:
        key = (queue, channel, status)
        seen.add(key)
        JOBS_PENDING.labels(*key).set(count)
        JOBS_OLDEST.labels(*key).set(oldest)
    for metric in (JOBS_PENDING, JOBS_OLDEST):
        for sample in next(iter(metric.collect())).samples:
            key = (sample.labels["queue"], sample.labels["channel"], sample.labels["status"])
            if key not in seen:
                metric.labels(*key).set(0)


def render() -> bytes:
    return generate_latest(REGISTRY)


def _reason_label(reason: str) -> str:
    """A bounded label: the first three words of the reason ("timed_out_after", "provider_error"),
    never numbers or the provider's message (label cardinality)."""
    words = [w for w in reason.lower().replace(":", " ").split() if w.isalpha()]
    return "_".join(words[:3])[:48] or "unknown"
