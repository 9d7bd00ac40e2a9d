"""A stopping replica ends its live streams with `retry:`, so browsers reconnect elsewhere at once
(instead of holding the shutdown up), and says it is not ready any more."""

from __future__ import annotations

import asyncio

import httpx

from relaydesk.db.uow import Database
from tests.live.conftest import Served
from tests.live.helpers import make_team


async def test_begin_shutdown_ends_open_streams_with_retry_and_readyz_says_stopping(
    server: Served, db: Database
) -> None:
    team = await make_team(db)
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        http.stream("GET", "/api/v1/live", headers=team.senior.headers) as response,
    ):
        seen = b""
        chunks = response.aiter_raw()
        async for chunk in chunks:
            seen += chunk
            if b"event: ready" in seen:
                break
        before = len(seen)
        # What SIGTERM does first (ops/serving.py), in the server's own event loop.
        assert server.listener._task is not None
        server.listener._task.get_loop().call_soon_threadsafe(server.app.state.begin_shutdown)
        async with asyncio.timeout(5):
            async for chunk in chunks:  # ends: the server closed the stream
                seen += chunk
        tail = seen[before:]
        assert b": server stopping\nretry: 300\n\n" in tail, tail
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["process"] == "stopping"
        # A stream opened now ends at once, with the same hint.
        late = await http.get("/api/v1/live", headers=team.senior.headers)
        assert late.status_code == 200 and b"retry: 300" in late.content.split(b"server stopping")[-1]
