"""/healthz (the process lives), /readyz (it can do its job), /metrics (Prometheus text format).

/readyz checks what a load balancer should know before sending traffic here: the database answers,
its schema is at the migrations this code ships, and the live listener has its LISTEN connection.
/metrics reads the queue depths at scrape time (one small query) and renders this process's
registry; with `metrics_token` set it wants `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from relaydesk import __version__, metrics
from relaydesk.db.migrate import alembic_config
from relaydesk.ops.outage import OUTAGE, is_connection_error
from relaydesk.web.problems import problem

router = APIRouter(tags=["ops"])

CHECK_SECONDS = 2.0


@lru_cache
def expected_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config("postgresql://unused/x")).get_heads())


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and serving: no database involved (restarting it would not help)."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            async with request.app.state.db.engine.connect() as connection:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                versions = set(result.scalars())
        checks["database"] = "ok"
        missing = expected_heads() - versions
        checks["migrations"] = "ok" if not missing else f"behind: wants {', '.join(sorted(missing))}"
    except Exception as exc:  # anything here means not ready
        if is_connection_error(exc) or isinstance(exc, TimeoutError):
            OUTAGE.failed(exc)
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    listener = getattr(request.app.state, "live_listener", None)
    checks["listener"] = "ok" if listener is not None and listener.connected else "not connected"
    if getattr(request.app.state, "stopping", False):
        checks["process"] = "stopping"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "5"},
    )


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not secrets.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return problem(
                401,
                "Not authenticated",
                "/metrics wants 'Authorization: Bearer <RELAYDESK_METRICS_TOKEN>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            async with request.app.state.db.engine.connect() as connection:
                rows = (await connection.execute(text("SELECT * FROM relaydesk_queue_stats()"))).all()
        metrics.set_queue_stats((q, c, s, int(n), float(age)) for q, c, s, n, age in rows)
    except Exception as exc:  # the rest of the metrics still help during an outage
        if is_connection_error(exc) or isinstance(exc, TimeoutError):
            OUTAGE.failed(exc)
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
