"""Live-stream fixtures: the app on a real socket (httpx's ASGITransport buffers streaming bodies),
an SSE client that records every message and comment, and `relaydesk serve` subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.live.hub import Hub
from relaydesk.live.listener import Listener
from relaydesk.settings import Settings


@dataclass
class Message:
    event: str  # "message" when the frame names none; "comment" for ": ..." lines
    data: Any = None
    id: str | None = None

    @property
    def seq(self) -> int:
        return int(self.id) if self.id is not None else -1


class SSE:
    """A real HTTP SSE client: parses frames as they arrive into a queue of `Message`s."""

    def __init__(
        self,
        base: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        last_event_id: int | str | None = None,
        cookies: httpx.Cookies | None = None,
    ) -> None:
        self.headers = dict(headers or {})
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = str(last_event_id)
        self.http = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None), cookies=cookies)
        self.params = params
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.seen: list[Message] = []
        self.response: httpx.Response | None = None
        self.ready: Message | None = None
        self.ended = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        request = self.http.build_request("GET", "/api/v1/live", headers=self.headers, params=self.params)
        self.response = await self.http.send(request, stream=True)
        if self.response.status_code == 200:
            self._task = asyncio.create_task(self._read())
            # `ready` comes once the subscription is in place: nothing committed after it is missed.
            async with asyncio.timeout(10):
                while True:
                    msg = await self.messages.get()
                    if msg.event == "ready":
                        self.ready = msg
                        break
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Drop the connection, as a closed tab or a dead network would."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.response is not None:
            with contextlib.suppress(Exception):
                await self.response.aclose()
        await self.http.aclose()

    async def _read(self) -> None:
        assert self.response is not None
        frame: dict[str, Any] = {}
        try:
            async for line in self.response.aiter_lines():
                if line == "":
                    if "data" in frame or "event" in frame:
                        raw = frame.get("data")
                        msg = Message(
                            frame.get("event", "message"), json.loads(raw) if raw else None, frame.get("id")
                        )
                        self._push(msg)
                    elif "id" in frame:
                        self._push(Message("id-only", None, frame["id"]))
                    frame = {}
                elif line.startswith(":"):
                    self._push(Message("comment", line[1:].strip()))
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    frame[name] = (
                        frame.get(name, "") + ("\n" if name == "data" and name in frame else "") + value
                    )
        except (httpx.HTTPError, asyncio.CancelledError):
            pass
        finally:
            self.ended.set()

    def _push(self, msg: Message) -> None:
        self.seen.append(msg)
        self.messages.put_nowait(msg)

    async def next(self, *, within: float = 10.0, events: bool = True) -> Message:
        """The next message; with `events`, skipping comments, id-only frames and `ready`."""
        async with asyncio.timeout(within):
            while True:
                msg = await self.messages.get()
                if not events or msg.event not in ("comment", "id-only", "ready"):
                    return msg

    async def take(self, count: int, *, within: float = 10.0) -> list[Message]:
        return [await self.next(within=within) for _ in range(count)]

    async def quiet(self, seconds: float) -> list[Message]:
        """Events that arrive within `seconds` (expected: none)."""
        got = []
        with contextlib.suppress(TimeoutError):
            while True:
                got.append(await self.next(within=seconds))
        return got

    async def until(self, event: str, *, within: float = 10.0) -> list[Message]:
        """Every event up to and including the first of type `event`."""
        got = []
        async with asyncio.timeout(within):
            while not got or got[-1].event != event:
                got.append(await self.next(within=within))
        return got


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"live_heartbeat_seconds": 0.4, "live_retry_ms": 300, "live_send_timeout_seconds": 3.0}
    )


@dataclass
class Served:
    url: str
    app: FastAPI
    loop: asyncio.AbstractEventLoop | None = field(default=None)

    @property
    def hub(self) -> Hub:
        return self.app.state.live_hub

    @property
    def listener(self) -> Listener:
        return self.app.state.live_listener


@contextlib.contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """create_app() under uvicorn on 127.0.0.1, lifespan on (so the listener runs), in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def server(live_settings: Settings, db: Database) -> Iterator[Served]:
    app = create_app(live_settings)
    with serve_in_thread(app) as url:
        yield Served(url, app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_process(database_url: str, data_dir: Path, **env: str) -> Iterator[str]:
    """`relaydesk serve` as its own process on the test database; yields its base URL."""
    port = free_port()
    log = (data_dir / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "relaydesk.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "RELAYDESK_DATABASE_URL": database_url,
            "RELAYDESK_DATA_DIR": str(data_dir),
            "RELAYDESK_SECRET_KEY": "test-secret-key",
            "RELAYDESK_RUN_WORKER": "false",
            "RELAYDESK_LIVE_HEARTBEAT_SECONDS": "0.5",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (data_dir / f"serve-{port}.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "relaydesk serve did not come up"
            time.sleep(0.2)
        yield url
    finally:
        # Open streams never finish by themselves; uvicorn would wait for them on SIGTERM.
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@pytest.fixture
async def two_servers(database_url: str, db: Database, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    with serve_process(database_url, tmp_path) as one, serve_process(database_url, tmp_path) as two:
        yield one, two
