"""Local servers that speak the Anthropic Messages API and the OpenAI Chat Completions API.

Each fake is a Starlette app served by uvicorn on 127.0.0.1 (a free port) in a background thread, so the
code under test goes through its real SDK client, real sockets and real timeouts. Every request is
recorded. What the next reply looks like is set with `fake.mode` (or `fake.script(...)` for a sequence):

    good         a structured reply: a tool call to the tool the request offered (or JSON content when the
                 request asked for `response_format` json_schema, or plain text when it offered no tool)
    hang         never answer (until the fake stops): the client's deadline has to end it
    error_500    HTTP 500 with the vendor's error body
    rate_limited HTTP 429 with `Retry-After: fake.retry_after`
    overloaded   HTTP 529 (Anthropic `overloaded_error`) or 503 (OpenAI)
    malformed    a tool call whose arguments are not valid JSON
    wrong_shape  a tool call whose arguments are valid JSON missing the required fields
    refusal      Anthropic `stop_reason: "refusal"` / OpenAI `message.refusal`

`fake.delay` seconds are slept before any reply. `fake.reset()` restores the constructor's settings and
forgets the recorded requests, so one server can serve a whole test module.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Mode = Literal[
    "good", "hang", "error_500", "rate_limited", "overloaded", "malformed", "wrong_shape", "refusal"
]

TEST_API_KEY = "sk-test-fake-key"
MALFORMED_ARGS = '{"ticket_note": "The VPN client fails to conn'
WRONG_SHAPE_ARGS: dict[str, Any] = {"summary": "VPN is broken", "confidence": "very"}
REFUSAL_TEXT = "I can't help with that request."


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: float = field(default_factory=time.monotonic)


class _FakeServer:
    """Runs `self._routes()` on a free local port in a thread; subclasses speak one vendor's API."""

    def __init__(
        self,
        *,
        mode: Mode = "good",
        payload: dict[str, Any] | None = None,
        text: str = "Plain text reply.",
        api_key: str = TEST_API_KEY,
        retry_after: str | None = "1",
        delay: float = 0.0,
        input_tokens: int = 1200,
        output_tokens: int = 240,
    ) -> None:
        self._defaults: dict[str, Any] = {
            "mode": mode,
            "payload": payload or {},
            "text": text,
            "api_key": api_key,
            "retry_after": retry_after,
            "delay": delay,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
        self.mode: Mode = mode
        self.payload: dict[str, Any] = {}
        self.text = text
        self.api_key = api_key
        self.retry_after = retry_after
        self.delay = delay
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.requests: list[RecordedRequest] = []
        self._script: list[Mode] = []
        self._release = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.reset()

    # --- control -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the constructor's settings, no requests recorded: one server can serve many tests."""
        self._release.set()  # a handler still hanging from an earlier test lets go
        self._release = threading.Event()
        for name, value in self._defaults.items():
            setattr(self, name, dict(value) if isinstance(value, dict) else value)
        self._script = []
        self.requests = []

    def script(self, *modes: Mode) -> None:
        """Answer the next requests with these modes in turn, then keep `self.mode`."""
        self._script = list(modes)

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def _next_mode(self) -> Mode:
        return self._script.pop(0) if self._script else self.mode

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=self._routes())
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._release.set()  # hanging handlers let go, so shutdown does not wait for them
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- shared request handling ---------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        raise NotImplementedError

    async def _record(self, request: Request) -> RecordedRequest:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        recorded = RecordedRequest(
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            raw=raw,
        )
        self.requests.append(recorded)
        return recorded

    async def _wait_before_reply(self, mode: Mode) -> None:
        release = self._release
        if self.delay:
            await asyncio.to_thread(release.wait, self.delay)
        if mode == "hang":
            # Until the fake stops or resets; a thread waits so that can come from outside the server's loop.
            await asyncio.to_thread(release.wait, 120)

    def _rate_limit_headers(self) -> dict[str, str]:
        return {"retry-after": self.retry_after} if self.retry_after is not None else {}


class FakeAnthropic(_FakeServer):
    """`POST /v1/messages` as documented by Anthropic (non-streaming)."""

    @property
    def base_url(self) -> str:
        # The Anthropic SDK appends `/v1/messages` itself.
        return f"http://127.0.0.1:{self.port}"

    def _routes(self) -> list[Route]:
        return [Route("/v1/messages", self._messages, methods=["POST"])]

    @staticmethod
    def _error(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"type": "error", "error": {"type": type_, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)

    async def _messages(self, request: Request) -> Response:
        recorded = await self._record(request)
        if recorded.headers.get("x-api-key") != self.api_key:
            return self._error(401, "authentication_error", "invalid x-api-key")
        if not recorded.headers.get("anthropic-version"):
            return self._error(400, "invalid_request_error", "anthropic-version header is required")
        body = recorded.body
        if not body.get("model") or not body.get("messages") or not body.get("max_tokens"):
            return self._error(400, "invalid_request_error", "model, messages and max_tokens are required")
        if body.get("stream"):
            return self._error(400, "invalid_request_error", "this fake does not stream")

        mode = self._next_mode()
        await self._wait_before_reply(mode)
        if mode == "error_500":
            return self._error(500, "api_error", "Internal server error")
        if mode == "rate_limited":
            return self._error(
                429, "rate_limit_error", "Number of requests exceeded", self._rate_limit_headers()
            )
        if mode == "overloaded":
            return self._error(529, "overloaded_error", "Overloaded")

        tools = body.get("tools") or []
        tool_name = tools[0]["name"] if tools else None
        content: list[dict[str, Any]]
        stop_reason = "tool_use"
        if mode == "refusal":
            content, stop_reason = [], "refusal"
        elif tool_name is None:
            content, stop_reason = [{"type": "text", "text": self.text}], "end_turn"
        elif mode == "malformed":
            # The API always sends `input` as an object; a broken proxy or model server may not.
            content = [{"type": "tool_use", "id": "toolu_fake1", "name": tool_name, "input": MALFORMED_ARGS}]
        elif mode == "wrong_shape":
            content = [
                {"type": "tool_use", "id": "toolu_fake1", "name": tool_name, "input": WRONG_SHAPE_ARGS}
            ]
        else:
            content = [{"type": "tool_use", "id": "toolu_fake1", "name": tool_name, "input": self.payload}]
        return JSONResponse(
            {
                "id": f"msg_fake{len(self.requests)}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
            }
        )


class FakeOpenAI(_FakeServer):
    """`POST /v1/chat/completions` as documented by OpenAI (non-streaming); also what Ollama/vLLM serve."""

    @property
    def base_url(self) -> str:
        # OpenAI clients take the base URL including `/v1`.
        return f"http://127.0.0.1:{self.port}/v1"

    def _routes(self) -> list[Route]:
        return [Route("/v1/chat/completions", self._completions, methods=["POST"])]

    @staticmethod
    def _error(
        status: int, type_: str, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
        return JSONResponse(body, status_code=status, headers=headers)

    async def _completions(self, request: Request) -> Response:
        recorded = await self._record(request)
        if recorded.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "invalid_request_error", "Incorrect API key provided", "invalid_api_key")
        body = recorded.body
        if not body.get("model") or not body.get("messages"):
            return self._error(400, "invalid_request_error", "model and messages are required")
        if body.get("stream"):
            return self._error(400, "invalid_request_error", "this fake does not stream")

        mode = self._next_mode()
        await self._wait_before_reply(mode)
        if mode == "error_500":
            return self._error(500, "server_error", "The server had an error while processing your request.")
        if mode == "rate_limited":
            return self._error(
                429, "requests", "Rate limit reached", "rate_limit_exceeded", self._rate_limit_headers()
            )
        if mode == "overloaded":
            return self._error(503, "server_error", "The engine is currently overloaded", "overloaded")

        response_format = body.get("response_format") or {}
        wants_json = response_format.get("type") == "json_schema"
        tools = body.get("tools") or []
        tool_name = tools[0]["function"]["name"] if tools else None

        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish_reason = "stop"
        if mode == "refusal":
            message["refusal"] = REFUSAL_TEXT
        else:
            if mode == "malformed":
                arguments = MALFORMED_ARGS
            elif mode == "wrong_shape":
                arguments = json.dumps(WRONG_SHAPE_ARGS)
            else:
                arguments = json.dumps(self.payload)
            if wants_json:
                message["content"] = arguments
            elif tool_name is not None:
                message["tool_calls"] = [
                    {
                        "id": "call_fake1",
                        "type": "function",
                        "function": {"name": tool_name, "arguments": arguments},
                    }
                ]
                finish_reason = "tool_calls"
            else:
                message["content"] = self.text
        return JSONResponse(
            {
                "id": f"chatcmpl-fake{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
                ],
                "usage": {
                    "prompt_tokens": self.input_tokens,
                    "completion_tokens": self.output_tokens,
                    "total_tokens": self.input_tokens + self.output_tokens,
                },
            }
        )
