"""Helpers for browser tests: the app on a real socket, and Debian's chromium driven by Playwright.

Never `playwright install`: the tests use the system's /usr/bin/chromium (apt-get install chromium).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from playwright.async_api import Browser, async_playwright

from relaydesk.app import create_app
from relaydesk.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing. Browser tests use Debian's chromium, never a downloaded one: "
    "run `apt-get update && apt-get install -y chromium` (do not run `playwright install`)."
)


@contextmanager
def live_server(settings: Settings, *, startup_timeout: float = 20.0, **app_options: Any) -> Iterator[str]:
    """Serve create_app(settings, **app_options) with uvicorn on 127.0.0.1 in a background thread;
    yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; the socket is handed over, so no race
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, **app_options), log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    # Not the main thread, so uvicorn installs no signal handlers; should_exit stops it.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the live server stopped during startup; see the log above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the live server did not start within {startup_timeout} s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def require_chromium() -> str:
    """The system chromium's path, or a RuntimeError saying how to install it."""
    if not CHROMIUM.exists():
        raise RuntimeError(MISSING_CHROMIUM)
    return str(CHROMIUM)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Debian chromium through Playwright's async API."""
    executable = require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
