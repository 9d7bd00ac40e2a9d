"""Running the app under uvicorn, with a shutdown an operator can rely on.

uvicorn already stops on SIGTERM and SIGINT alike: it stops accepting, waits for open requests,
then runs the lifespan shutdown (the worker's grace period, deliveries/summaries/jobs.py). Two
changes here:

- on the first signal, `on_signal` runs in the event loop at once: the app ends its live (SSE)
  streams with a `retry:` there, so browsers reconnect to another replica instead of holding the
  shutdown up until uvicorn's timeout;
- the signal is not raised again after the shutdown (uvicorn does that so the exit status shows
  the signal): the process exits normally, so atexit hooks run, among them the one that stops the
  embedded PostgreSQL when this was the last process using it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.server import HANDLED_SIGNALS


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_signal: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_signal = on_signal
        self._loop: asyncio.AbstractEventLoop | None = None
        self.signals: list[int] = []

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = not self.should_exit
        self.signals.append(sig)
        super().handle_exit(sig, frame)
        if first and self._on_signal is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_signal)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
        self._captured_signals.clear()  # not raised again: see the module docstring


def run(app: Any, *, host: str, port: int, log_level: str, grace_seconds: float, **kwargs: Any) -> Server:
    """Serve until a signal; returns the server (its `signals` say which stopped it)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # Requests still open after the grace period are cut, then the lifespan shutdown runs.
        timeout_graceful_shutdown=max(1, int(grace_seconds)),
        **kwargs,
    )
    on_signal = getattr(getattr(app, "state", None), "begin_shutdown", None)
    server = Server(config, on_signal=on_signal)
    server.run()
    return server
