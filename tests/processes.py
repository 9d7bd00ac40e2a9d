"""Real `relaydesk` processes for the tests that signal them (shutdown, supervision)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LOOPBACK_ALLOWED

ROOT = Path(__file__).resolve().parents[1]


async def start_relaydesk(*args: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`python -m relaydesk.cli ARGS` with `env` added, stdout and stderr into `log`."""
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "relaydesk.cli",
            *args,
            # The vendor fakes listen on loopback, which the SSRF guard refuses unless allowed.
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "RELAYDESK_OUTBOUND_ALLOW_HOSTS": LOOPBACK_ALLOWED,
                **env,
            },
            cwd=ROOT,
            stdout=handle,
            stderr=handle,
        )
    finally:
        handle.close()


async def wait_until(check: Callable[[], bool], what: str, *, within: float = 60.0) -> float:
    """Poll `check` until it holds; returns time.time() when it did."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.time()


async def stop(process: asyncio.subprocess.Process, *, within: float = 60.0) -> int:
    """Wait for the process to exit by itself; kill it if it does not, and fail."""
    try:
        return await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the process did not exit within {within:g} s") from None
