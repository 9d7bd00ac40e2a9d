"""A receiver of our signed webhooks that verifies them the way a customer would.

It checks `webhook-id`/`webhook-timestamp`/`webhook-signature` with the `standardwebhooks`
library (the reference verifier), answers 401 to a bad signature, 204 to a new event, and
200 without recording it again when the `webhook-id` was seen before (dedupe on retries).
"""

from __future__ import annotations

from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor

PATH = "/hooks/relaydesk"


class FakeWebhookReceiver(FakeVendor):
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        self.seen_ids: set[str] = set()
        self.rejected: list[str] = []
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self._receive, methods=["POST"])]

    def reset_state(self) -> None:
        self.events.clear()
        self.seen_ids.clear()
        self.rejected.clear()

    def url(self, base: str) -> str:
        return base + PATH

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return JSONResponse({"error": str(exc)}, status_code=401)
        msg_id = request.headers["webhook-id"]
        if msg_id in self.seen_ids:
            return JSONResponse({"duplicate": True})
        self.seen_ids.add(msg_id)
        self.events.append(event)
        return Response(status_code=204)
