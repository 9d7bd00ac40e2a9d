"""Microsoft Teams webhooks: a Workflows (Power Automate) trigger and a retired O365 connector.

Workflows: POST /workflows/{id}/triggers/manual/paths/invoke?api-version=…&sig=… answers 202 with
an empty body. The trigger's schema requires `type` and `attachments`, and in each attachment
`contentType`, `contentUrl` (null is fine, absent is not) and `content`; otherwise 400
`TriggerInputSchemaMismatch`. A wrong `sig` gets 401. As in Teams, the card itself is only
rendered after the 202, so card problems are collected in `fake.card_errors`, not answered.

Legacy connector: POST /webhookb2/… answers 200 with the body `1`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor

WORKFLOW_ID = "0c1a2b3c4d5e6f708192a3b4c5d6e7f8"
SIGNATURE = "fAkEsIgNaTuRe_1234567890"
WORKFLOW_PATH = f"/workflows/{WORKFLOW_ID}/triggers/manual/paths/invoke"
LEGACY_PATH = "/webhookb2/1111-2222@3333-4444/IncomingWebhook/abcdef0123456789/5555-6666"

_ATTACHMENT_REQUIRED = ("contentType", "contentUrl", "content")


class FakeTeams(FakeVendor):
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.card_errors: list[str] = []
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/workflows/{workflow}/triggers/manual/paths/invoke", self._workflow, methods=["POST"]),
            Route("/webhookb2/{rest:path}", self._legacy, methods=["POST"]),
        ]

    def reset_state(self) -> None:
        self.messages.clear()
        self.card_errors.clear()

    def workflow_url(self, base: str) -> str:
        query = f"api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIGNATURE}"
        return f"{base}{WORKFLOW_PATH}?{query}"

    def legacy_url(self, base: str) -> str:
        return base + LEGACY_PATH

    async def _workflow(self, request: Request) -> Response:
        if request.path_params["workflow"] != WORKFLOW_ID:
            return _error(404, "WorkflowNotFound", "The workflow could not be found.")
        if request.query_params.get("sig") != SIGNATURE:
            return _error(
                401, "DirectApiAuthorizationRequired", "The request must be authenticated only by SAS."
            )
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _error(400, "InvalidRequestContent", "The request content is not valid JSON.")
        missing = schema_missing(payload)
        if missing:
            return _error(
                400,
                "TriggerInputSchemaMismatch",
                "The input body for trigger 'manual' of type 'Request' did not match its schema "
                f"definition. Error details: 'Required properties are missing from object: {missing}.'.",
            )
        self.messages.append(payload)
        for attachment in payload["attachments"]:
            self.card_errors += card_errors(attachment)
        return Response(status_code=202)

    async def _legacy(self, request: Request) -> Response:
        try:
            self.messages.append(json.loads(await request.body()))
        except ValueError:
            return PlainTextResponse("Bad payload received by generic incoming webhook.", status_code=400)
        return PlainTextResponse("1")


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def schema_missing(payload: Any) -> str:
    """The names the Workflows trigger schema requires and the payload lacks, comma-separated."""
    if not isinstance(payload, dict):
        return "type, attachments"
    missing = [key for key in ("type", "attachments") if key not in payload]
    for attachment in payload.get("attachments") or []:
        if isinstance(attachment, dict):
            missing += [key for key in _ATTACHMENT_REQUIRED if key not in attachment]
    return ", ".join(dict.fromkeys(missing))


def card_errors(attachment: dict[str, Any]) -> list[str]:
    """What Teams would refuse to render in an Adaptive Card 1.4 attachment."""
    errors = []
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        errors.append("contentType must be application/vnd.microsoft.card.adaptive")
    card = attachment.get("content")
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [*errors, "content must be an AdaptiveCard"]
    if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
        errors.append("unsupported card version")
    for element in card.get("body", []):
        if element.get("type") == "FactSet":
            for fact in element.get("facts", []):
                if not isinstance(fact.get("title"), str) or not isinstance(fact.get("value"), str):
                    errors.append("facts need string title and value")
        elif element.get("type") == "TextBlock" and not isinstance(element.get("text"), str):
            errors.append("TextBlock needs text")
    for action in card.get("actions", []):
        if action.get("type") == "Action.OpenUrl" and not str(action.get("url", "")).startswith("http"):
            errors.append("Action.OpenUrl needs an http(s) url")
    return errors
