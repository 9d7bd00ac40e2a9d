"""/healthz, /readyz, /metrics, X-Request-ID and JSON logs, and 503 while the database is away."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from relaydesk import metrics
from relaydesk.accounts import service as accounts
from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.ops.logs import JsonFormatter
from relaydesk.settings import Settings
from tests.factories import escalate, make_account, make_session, make_user

SERIES = {
    "relaydesk_http_request_duration_seconds",
    "relaydesk_sse_subscribers",
    "relaydesk_event_fanout_lag_seconds",
    "relaydesk_jobs_pending",
    "relaydesk_jobs_oldest_age_seconds",
    "relaydesk_model_call_duration_seconds",
    "relaydesk_model_call_failures",
    "relaydesk_redactions",
    "relaydesk_login_failures",
    "relaydesk_delivery_uncertain_resends",
}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    families = list(text_string_to_metric_families(response.text))
    assert SERIES <= {family.name for family in families}
    for family in families:
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_health_ready_and_metrics_move(client: httpx.AsyncClient, db: Database) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "listener": "ok"}

    before = await _scrape(client)
    account = await make_account(db)
    member = await make_user(db, account, password="correct-horse-battery")
    async with db.uow() as uow:
        assert await accounts.authenticate(uow, email=member.user.email, password="wrong") is None
    await escalate(db, member, await make_session(db, member))
    metrics.count_redaction("password", 2)  # what the redaction code calls
    metrics.observe_model_call("assessment", 1.5, "timed out after 20 s")
    await client.get("/healthz")
    after = await _scrape(client)

    assert (
        _value(after, "relaydesk_login_failures_total")
        == _value(before, "relaydesk_login_failures_total") + 1
    )
    assert _value(after, "relaydesk_redactions_total", kind="password") >= 2
    assert _value(after, "relaydesk_model_call_failures_total", reason="timed_out_after") >= 1
    assert _value(after, "relaydesk_jobs_pending", queue="summaries", channel="", status="pending") >= 1
    assert (
        _value(after, "relaydesk_jobs_oldest_age_seconds", queue="summaries", channel="", status="pending")
        >= 0
    )
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    assert _value(after, "relaydesk_http_request_duration_seconds_count", **healthz) >= (
        _value(before, "relaydesk_http_request_duration_seconds_count", **healthz) + 1
    )


@pytest.fixture
async def guarded(settings: Settings, db: Database) -> Iterator[httpx.AsyncClient]:
    application = create_app(settings.model_copy(update={"metrics_token": "scrape-me"}), background=[])
    transport = httpx.ASGITransport(app=application)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            yield http


async def test_metrics_token(guarded: httpx.AsyncClient) -> None:
    refused = await guarded.get("/metrics")
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert (await guarded.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    await _scrape(guarded, Authorization="Bearer scrape-me")


async def test_request_id_and_json_log_lines(client: httpx.AsyncClient, db: Database) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("relaydesk.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        account = await make_account(db)
        member = await make_user(db, account, password=None)
        response = await client.post(
            "/api/v1/sessions", headers=member.headers, json={"problem_summary": "BODY-MARKER printer jam"}
        )
        echoed = await client.get("/healthz", headers={"X-Request-ID": "lb-1234"})
    finally:
        access.removeHandler(handler)
    assert echoed.headers["x-request-id"] == "lb-1234"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (post,) = [line for line in lines if line["method"] == "POST"]
    assert post["request_id"] == response.headers["x-request-id"]
    assert post["account_id"] == str(account.id)
    assert post["status"] == response.status_code
    assert "BODY-MARKER" not in stream.getvalue()
    assert any(line.get("request_id") == "lb-1234" for line in lines)


async def test_database_unreachable_is_503_with_retry_after_and_one_log_line(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A port nobody listens on: connection refused, like a PostgreSQL that is restarting.
    gone = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/relaydesk"})
    application: FastAPI = create_app(gone, background=[])
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
        api = [await http.get("/api/v1/sessions", headers={"Authorization": "Bearer x"}) for _ in range(3)]
        http.cookies.set("relaydesk_session", "a-signed-in-browser")
        page = await http.get("/sessions", headers={"Accept": "text/html"})
        health = await http.get("/healthz")
    for response in api:
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"].isdigit()
        assert response.json()["title"] == "Database unavailable"
    assert page.status_code == 503 and "Reconnecting" in page.text and page.headers["retry-after"]
    assert health.status_code == 200  # the process lives
    lines = [r for r in caplog.records if r.name == "relaydesk.database"]
    assert len(lines) == 1 and "unreachable" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback
    from relaydesk.ops.outage import OUTAGE

    OUTAGE.recovered()
