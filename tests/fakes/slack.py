"""Slack incoming webhooks, as documented: POST JSON to /services/T…/B…/secret.

Answers 200 `ok`, or the documented plain-text error words: 400 `invalid_payload` (not JSON),
400 `invalid_blocks` (a block breaks Block Kit's rules or limits), 403 `action_prohibited`,
404 `channel_not_found`, 410 `channel_is_archived`, 404 `no_service` (unknown webhook).
`fake.set_channel(...)` puts the webhook's channel in one of those states.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.server import FakeVendor

HOOK_PATH = "/services/T0FAKETEAM/B0FAKEHOOK/s3cr3tT0kenInTheUrl"

ChannelState = Literal["ok", "channel_not_found", "channel_is_archived", "action_prohibited"]
_STATUS = {"channel_not_found": 404, "channel_is_archived": 410, "action_prohibited": 403}

BLOCK_TYPES = {"header", "section", "context", "actions", "divider", "image", "rich_text", "input"}


class FakeSlack(FakeVendor):
    def __init__(self) -> None:
        self.channel: ChannelState = "ok"
        self.messages: list[dict[str, Any]] = []
        super().__init__()

    def routes(self) -> list[BaseRoute]:
        return [Route("/services/{team}/{hook}/{secret}", self._post, methods=["POST"])]

    def reset_state(self) -> None:
        self.channel = "ok"
        self.messages.clear()

    def set_channel(self, state: ChannelState) -> None:
        self.channel = state

    def hook_url(self, base: str) -> str:
        return base + HOOK_PATH

    async def _post(self, request: Request) -> Response:
        if request.url.path != HOOK_PATH:
            return _word(404, "no_service")
        if self.channel != "ok":
            return _word(_STATUS[self.channel], self.channel)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _word(400, "invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return _word(400, "invalid_payload")
        if "blocks" in payload and block_errors(payload["blocks"]):
            return _word(400, "invalid_blocks")
        self.messages.append(payload)
        return PlainTextResponse("ok", media_type="text/html")


def _word(status: int, word: str) -> Response:
    return PlainTextResponse(word, status_code=status, media_type="text/html")


def _text_object(value: Any, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in ("plain_text", "mrkdwn"):
        return ["text object needs type plain_text or mrkdwn"]
    if plain_only and value["type"] != "plain_text":
        return ["must be plain_text"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return ["text object needs text"]
    return [f"text longer than {limit}"] if len(text) > limit else []


def block_errors(blocks: Any) -> list[str]:
    """Block Kit's structural rules and length limits for the block types the app uses."""
    if not isinstance(blocks, list) or not 0 < len(blocks) <= 50:
        return ["blocks must be a list of 1-50 blocks"]
    errors: list[str] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            errors.append(f"unknown block type {kind!r}")
        elif kind == "header":
            errors += _text_object(block.get("text"), 150, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append("section needs text or fields")
            if "text" in block:
                errors += _text_object(block["text"], 3000)
            fields = block.get("fields", [])
            if not isinstance(fields, list) or len(fields) > 10:
                errors.append("section fields: at most 10")
            else:
                for item in fields:
                    errors += _text_object(item, 2000)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 10:
                errors.append("context needs 1-10 elements")
            else:
                for item in elements:
                    errors += _text_object(item, 3000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 0 < len(elements) <= 25:
                errors.append("actions needs 1-25 elements")
                continue
            for element in elements:
                if not isinstance(element, dict) or element.get("type") != "button":
                    errors.append("only buttons are checked here")
                    continue
                errors += _text_object(element.get("text"), 75, plain_only=True)
                url = element.get("url", "")
                if url and (len(url) > 3000 or not url.startswith(("http://", "https://"))):
                    errors.append("button url must be http(s) and at most 3000 chars")
                if element.get("style") not in (None, "primary", "danger"):
                    errors.append("button style must be primary or danger")
    return errors
