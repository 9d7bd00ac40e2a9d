"""Run an ASGI app on 127.0.0.1 in a background thread, and the recording base of the vendor fakes.

`LocalServer(app)` binds a free port once and keeps it: `stop()` then `start()` (or `restart()`)
brings the same URL back, which is how a test shows a channel that is down and then recovers.

`FakeVendor` is the ASGI base every HTTP vendor fake builds on. It records each request
(method, path, query, headers, parsed body) and can be told what to do with the next ones:

    fake.fail_next(2, status=503, body="...", retry_after="7")   answer with an error instead
    fake.hang_next(seconds=30)                                    never answer (until reset/stop)
    fake.malformed_next(kind="truncated" | "garbage")             a broken reply

`only=` limits a plan to paths containing that text (e.g. fail the API call, not the token call).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
App = TypeVar("App", bound=ASGIApp)


class LocalServer(Generic[App]):
    """uvicorn on 127.0.0.1 in a thread; the port survives stop/start. `app` keeps its type."""

    def __init__(self, app: App, *, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so, and without it
        # every reply with a body waits out the client's 40 ms delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # Rebinding the same port right after stop() must not wait out TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="error",
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("local test server did not start")
            time.sleep(0.005)
        self._server, self._thread = server, thread

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        if isinstance(self.app, FakeVendor):
            self.app.release()
        server.should_exit = True
        thread.join(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def serving(app: App) -> Iterator[LocalServer[App]]:
    """For fixtures: `with serving(fake) as server: yield server`."""
    with LocalServer(app) as server:
        yield server


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, a dict for forms, else the text
    raw: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass
class Plan:
    """What to do instead of answering normally."""

    action: Literal["fail", "hang", "malformed"]
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 30.0
    kind: Literal["truncated", "garbage"] = "truncated"
    only: str | None = None


def note_time(note_id: int) -> str:
    """When a fake's note was written: a second per note id after a fixed start, so notes read in
    id order read in time order, and a test can say what time an imported step must carry."""
    return (NOTES_START + timedelta(seconds=note_id)).strftime("%Y-%m-%dT%H:%M:%SZ")


NOTES_START = datetime(2026, 9, 1, tzinfo=UTC)


class FakeVendor:
    """Recording, failure-injecting ASGI wrapper around a vendor's routes (`routes()`)."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._plans: deque[Plan] = deque()
        self._released = threading.Event()
        self._app = Starlette(routes=self.routes())

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    # -- telling the fake what to do ---------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        body: str | bytes | dict[str, Any] | list[Any] = b"",
        retry_after: str | None = None,
        headers: dict[str, str] | None = None,
        only: str | None = None,
    ) -> None:
        extra = dict(headers or {})
        if isinstance(body, dict | list):
            raw = json.dumps(body).encode()
            extra.setdefault("content-type", "application/json")
        else:
            raw = body.encode() if isinstance(body, str) else body
            extra.setdefault("content-type", "text/plain; charset=utf-8")
        if retry_after is not None:
            extra["retry-after"] = retry_after
        for _ in range(count):
            self._plans.append(Plan("fail", status=status, body=raw, headers=extra, only=only))

    def hang_next(self, count: int = 1, *, seconds: float = 30.0, only: str | None = None) -> None:
        for _ in range(count):
            self._plans.append(Plan("hang", seconds=seconds, only=only))

    def malformed_next(
        self, count: int = 1, *, kind: Literal["truncated", "garbage"] = "truncated", only: str | None = None
    ) -> None:
        for _ in range(count):
            self._plans.append(Plan("malformed", kind=kind, only=only))

    def release(self) -> None:
        """End every request hanging now; later hangs hang again."""
        released, self._released = self._released, threading.Event()
        released.set()

    def reset(self) -> None:
        self.release()
        self._plans.clear()
        self.requests.clear()
        self.reset_state()

    def reset_state(self) -> None:
        """Subclasses forget what they stored."""

    def requests_to(self, fragment: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r for r in self.requests if fragment in r.path and (method is None or r.method == method.upper())
        ]

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(
            RecordedRequest(
                method=scope["method"],
                path=scope["path"],
                query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
                headers=headers,
                body=_parse(raw, headers.get("content-type", "")),
                raw=raw,
            )
        )
        plan = self._take_plan(scope["path"])
        if plan is not None:
            await self._carry_out(plan, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self._app(scope, replay, send)

    def _take_plan(self, path: str) -> Plan | None:
        for plan in list(self._plans):
            if plan.only is None or plan.only in path:
                self._plans.remove(plan)
                return plan
        return None

    async def _carry_out(self, plan: Plan, send: Send) -> None:
        if plan.action == "hang":
            # The event is set from the test's thread (reset/stop), so wait for it off the loop.
            await asyncio.to_thread(self._released.wait, plan.seconds)
            plan = Plan("fail", status=504, body=b"gave up hanging")
        if plan.action == "malformed":
            if plan.kind == "garbage":
                await _respond(send, 200, b"\x00\x9f<<not json>>", {"content-type": "application/json"})
            else:
                # Promise more bytes than we send: the client sees the connection end mid-body.
                head = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
                await send({"type": "http.response.start", "status": 200, "headers": head})
                await send({"type": "http.response.body", "body": b'{"id": 12', "more_body": True})
                raise ConnectionAbortedError("fake: truncated reply")
            return
        await _respond(send, plan.status, plan.body, plan.headers)


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    head = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    head.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def _parse(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


def free_port() -> int:
    """A port nobody listens on (for 'connection refused')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
