"""Per-request context for logs and metrics: a request id (X-Request-ID) and the account, when known.

`RequestContext` is a plain ASGI middleware (it must not buffer SSE bodies). It takes a sane
incoming X-Request-ID (a proxy's) or makes one, returns it on the response, times the request up
to its response headers by route template and status, and writes one access line without bodies.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from relaydesk.metrics import observe_request

log = logging.getLogger("relaydesk.access")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# A mutable dict per request: set by the middleware, filled in by the auth dependency, read by logs.
CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("relaydesk_request", default=None)


def note_account(account_id: uuid.UUID | str) -> None:
    """The request acts in this account (called once the caller is known)."""
    context = CONTEXT.get()
    if context is not None:
        context["account_id"] = str(account_id)


def current() -> dict[str, str]:
    return CONTEXT.get() or {}


def _route(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    return "unmatched"  # 404s: never the raw path (unbounded label values)


class RequestContext:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        context = {"request_id": request_id}
        token = CONTEXT.set(context)
        started = time.perf_counter()
        status = 500
        observed = False

        def observe() -> None:
            nonlocal observed
            if observed:
                return
            observed = True
            seconds = time.perf_counter() - started
            observe_request(_route(scope), scope["method"], status, seconds)
            log.info(
                "%s %s %d %.1f ms",
                scope["method"],
                scope["path"],
                status,
                seconds * 1000,
                extra={"method": scope["method"], "path": scope["path"], "status": status},
            )

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
                await send(message)
                observe()  # time to the headers: a live stream's life is not its latency
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            observe()
            CONTEXT.reset(token)
