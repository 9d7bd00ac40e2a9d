"""Memory of a 10 MB attachment: the server's resident memory while it takes an upload and serves it back.

    .venv/bin/python -m benchmarks.attachments [--mb 10] [--runs 3]

Starts a real `relaydesk serve` on a scratch database, attaches a file of `--mb` MB to a step over
the JSON API and downloads it again, twice: random bytes (served as they are) and a text log
(redacted on the way out). A thread samples the server process's RSS every 2 ms; printed is the
peak above the RSS just before each request, the worst of `--runs`. The upload is parsed into a
spooled temporary file (on disk past 1 MB), copied to PostgreSQL in 256 KiB chunks and read back
one chunk per transaction, so growth should stay a small fraction of the file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil

from benchmarks._support import make_team, scratch_database, serve
from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import SessionCreate, StepCreate

MB = 1024 * 1024


@dataclass
class Target:
    token: str
    session_id: uuid.UUID
    step_id: uuid.UUID


async def _prepare(url: str) -> Target:
    db = Database(url, pool_size=2)
    try:
        async with db.uow() as uow:
            team = await make_team(uow, "Attachment bench", seniors=0)
            token, _ = await accounts.issue_api_token(uow, team.junior, label="bench")
            actor = accounts.actor_for(team.junior, via="token")
            session = await sessions.create_session(
                uow, actor, SessionCreate(problem_summary="Outlook crashes on start")
            )
            step = await sessions.add_step(
                uow, actor, session.id, StepCreate(action="Collected the crash logs", outcome="info")
            )
        return Target(token, session.id, step.id)
    finally:
        await db.dispose()


class PeakRss:
    """Samples a process's RSS in a thread; `peak` is the highest seen since `start`."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.002)

    @contextmanager
    def watching(self) -> Iterator[int]:
        """Yields the RSS at the start; afterwards `peak` holds the highest RSS seen meanwhile."""
        base = self.process.memory_info().rss
        self.peak = base
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        try:
            yield base
        finally:
            self._stop.set()
            self._thread.join()


def _server_process(base_url: str) -> psutil.Process:
    port = base_url.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        if "serve" in child.cmdline() and port in child.cmdline():
            return child
    raise RuntimeError("the relaydesk serve process was not found")


def _file(path: str, kind: str, size: int) -> None:
    with open(path, "wb") as out:
        written = 0
        line = b"2026-12-02 18:00:01 INFO sync mailbox jane@harbor.example ok, 120 items\n"
        while written < size:
            piece = os.urandom(MB) if kind == "binary" else line * (MB // len(line) + 1)
            piece = piece[: size - written]
            out.write(piece)
            written += len(piece)


def _measure(
    base_url: str, target: Target, path: str, name: str, rss: PeakRss
) -> tuple[int, int, float, float]:
    headers = {"Authorization": f"Bearer {target.token}"}
    url = f"{base_url}/api/v1/sessions/{target.session_id}/steps/{target.step_id}/attachments"
    with httpx.Client(timeout=120) as http:
        with rss.watching() as base, open(path, "rb") as body:
            started = time.perf_counter()
            created = http.post(
                url, headers=headers, files={"file": (name, body, "application/octet-stream")}
            )
            upload_s = time.perf_counter() - started
        created.raise_for_status()
        upload_growth = rss.peak - base
        with rss.watching() as base:
            started = time.perf_counter()
            with http.stream(
                "GET", f"{base_url}/api/v1/attachments/{created.json()['id']}", headers=headers
            ) as got:
                got.raise_for_status()
                received = sum(len(part) for part in got.iter_bytes())
            download_s = time.perf_counter() - started
        download_growth = rss.peak - base
    assert received > 0
    return upload_growth, download_growth, upload_s, download_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.mb * MB
    url = scratch_database("attachments")
    target = asyncio.run(_prepare(url))
    data_dir = tempfile.mkdtemp(prefix="relaydesk-bench-")
    env = {
        "RELAYDESK_RUN_WORKER": "false",
        "RELAYDESK_SECRET_KEY": "bench-secret-key",
        "RELAYDESK_DATA_DIR": data_dir,
        # room for every run's files in the one session
        "RELAYDESK_ATTACHMENT_SESSION_MAX_BYTES": str(size * (2 * args.runs + 2)),
        "RELAYDESK_ATTACHMENT_MAX_BYTES": str(max(size, 10 * MB)),
    }
    with serve(url, env=env) as base_url, tempfile.TemporaryDirectory() as tmp:
        rss = PeakRss(_server_process(base_url))
        warm = os.path.join(tmp, "warm.log")
        _file(warm, "text", 64 * 1024)
        _measure(base_url, target, warm, "warm.log", rss)  # first-request imports out of the figures
        print(f"server RSS before: {rss.process.memory_info().rss / MB:.1f} MB; file: {args.mb} MB")
        for kind in ("binary", "text"):
            path = os.path.join(tmp, f"{kind}.bin")
            _file(path, kind, size)
            runs = [_measure(base_url, target, path, f"{kind}.bin", rss) for _ in range(args.runs)]
            up, down = max(r[0] for r in runs), max(r[1] for r in runs)
            up_s, down_s = min(r[2] for r in runs), min(r[3] for r in runs)
            print(
                f"{kind:6}  upload: peak RSS +{up / MB:.1f} MB ({up_s:.2f} s)   "
                f"download: peak RSS +{down / MB:.1f} MB ({down_s:.2f} s)"
            )
        print(f"server RSS after: {rss.process.memory_info().rss / MB:.1f} MB")


if __name__ == "__main__":
    main()
