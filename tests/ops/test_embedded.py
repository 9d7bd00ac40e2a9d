"""The embedded PostgreSQL, supervised: real `relaydesk` processes on a temporary data directory.

Slow (each starts PostgreSQL and imports the whole app), so few: one `serve` that survives a killed
postmaster and leaves nothing behind on SIGTERM, one start over stale pid files, two demos at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import psutil

from relaydesk.db.embedded import postmaster_pid
from tests.processes import start_relaydesk, stop, wait_until


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "RELAYDESK_DATABASE_URL": "",
        "RELAYDESK_DATA_DIR": str(data_dir),
        "RELAYDESK_LLM_MODEL": "",
        "RELAYDESK_SHUTDOWN_GRACE_SECONDS": "2",
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postmasters(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


def _status(url: str) -> int | None:
    try:
        # A token that does not exist: looking it up needs the database (503 without, 401 with).
        return httpx.get(url, timeout=1.0, headers={"Authorization": "Bearer rd_unknown"}).status_code
    except httpx.HTTPError:
        return None


async def _poll(url: str) -> int | None:
    return await asyncio.to_thread(_status, url)


async def test_serve_restarts_a_killed_postmaster_and_sigterm_leaves_no_postgres(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    serve = await start_relaydesk("serve", "--port", str(port), env=_env(tmp_path / "data"), log=log)
    pgdata = (tmp_path / "data" / "pg").resolve()
    try:
        ready: list[int | None] = [None]

        async def is_ready() -> None:
            while ready[0] != 200:
                ready[0] = await _poll(base + "/readyz")
                await asyncio.sleep(0.2)

        await asyncio.wait_for(is_ready(), 180)

        pid = postmaster_pid(pgdata)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        seen: list[tuple[float, int | None, int | None]] = []
        restarted: float | None = None
        while time.monotonic() - killed < 30:
            if restarted is None and _postmasters(pgdata):
                restarted = time.monotonic() - killed
            api = await _poll(base + "/api/v1/sessions")
            readyz = await _poll(base + "/readyz")
            seen.append((time.monotonic() - killed, api, readyz))
            if readyz == 200 and api == 401:
                break
            await asyncio.sleep(0.1)
        back = seen[-1]
        assert back[1:] == (401, 200), seen  # 401: the database answers again (the token is unknown)
        # Started again within 5 s; serving again once PostgreSQL's crash recovery is done, which on
        # a loaded machine can take a few more seconds.
        assert restarted is not None and restarted < 5.0, (restarted, seen)
        assert back[0] < 15.0, seen
        assert any(api == 503 for _, api, _ in seen), seen  # during the outage: 503, not 500
        assert not any(api == 500 for _, api, _ in seen), seen
        new_pid = postmaster_pid(pgdata)
        assert new_pid is not None and new_pid != pid
        print(f"postmaster back after {restarted:.1f} s, serving again after {back[0]:.1f} s")

        serve.send_signal(signal.SIGTERM)
        assert await stop(serve) == 0, log.read_text()[-3000:]
    finally:
        if serve.returncode is None:
            serve.kill()
            await serve.wait()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert text.count("database unreachable") == 1 and text.count("database reachable again") == 1, text[
        -3000:
    ]
    await wait_until(lambda: not _postmasters(pgdata), "PostgreSQL to stop", within=20)
    assert json.loads((pgdata / ".handle_pids.json").read_text() or "[]") == []


async def test_start_over_stale_pid_files(tmp_path: Path) -> None:
    """After a container restart: dead and reused pids in the handle list, and a postmaster.pid
    naming a live process that is not PostgreSQL. The next start works and the last exit stops it."""
    data = tmp_path / "data"
    log = tmp_path / "migrate.log"
    first = await start_relaydesk("migrate", env=_env(data), log=log)
    assert await stop(first, within=180) == 0, log.read_text()[-3000:]
    pgdata = (data / "pg").resolve()
    # The postmaster goes a moment after the last client's exit (slower on a loaded machine).
    await wait_until(lambda: not _postmasters(pgdata), "PostgreSQL to stop", within=20)

    # A live pid that is neither PostgreSQL nor Relaydesk, and one that is gone.
    stranger = await asyncio.create_subprocess_exec("sleep", "300")
    try:
        dead = await asyncio.create_subprocess_exec("true")
        await dead.wait()
        (pgdata / ".handle_pids.json").write_text(json.dumps([dead.pid, stranger.pid]))
        (pgdata / "postmaster.pid").write_text(
            f"{stranger.pid}\n{pgdata}\n1700000000\n5432\n{pgdata}\n\n  1234567   7\nready   \n"
        )
        second = await start_relaydesk("migrate", env=_env(data), log=log)
        assert await stop(second, within=180) == 0, log.read_text()[-3000:]
    finally:
        stranger.kill()
        await stranger.wait()
    assert "database is up to date" in log.read_text()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    await wait_until(lambda: not _postmasters(pgdata), "PostgreSQL to stop", within=20)
    assert json.loads((pgdata / ".handle_pids.json").read_text() or "[]") == []


async def test_two_demos_at_once_on_a_fresh_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"demo{n}.log" for n in range(2)]
    demos = [
        await start_relaydesk("demo", "--port", str(port), env=_env(data), log=log)
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for port in ports:
            url = f"http://127.0.0.1:{port}/readyz"
            await wait_until(lambda url=url: _status(url) == 200, f"demo on {url}", within=300)
        for demo in demos:
            demo.send_signal(signal.SIGTERM)
        codes = [await stop(demo) for demo in demos]
    finally:
        for demo in demos:
            if demo.returncode is None:
                demo.kill()
                await demo.wait()
    texts = [log.read_text() for log in logs]
    assert codes == [0, 0], texts
    for text in texts:
        assert "Traceback" not in text and "IntegrityError" not in text, text[-3000:]
        assert "Relaydesk demo at" in text
    pgdata = (data / "pg").resolve()
    await wait_until(lambda: not _postmasters(pgdata), "PostgreSQL to stop", within=20)
