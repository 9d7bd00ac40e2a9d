"""How long `relaydesk demo` takes to answer /login: first start and restart, embedded PostgreSQL.

    .venv/bin/python -m benchmarks.demo_start [--restarts 2]

Each run is a real `relaydesk demo --port N` in a fresh RELAYDESK_DATA_DIR (no RELAYDESK_DATABASE_URL,
so it starts its own PostgreSQL): the clock runs from spawning the process until GET /login answers
200. The first start includes initdb, migrations and the seed; a restart finds the seeded account and
changes nothing. Between runs the process is stopped with SIGINT and waited for.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import httpx

from benchmarks._support import free_port


def start_once(data_dir: str) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "RELAYDESK_DATABASE_URL"}
    env["RELAYDESK_DATA_DIR"] = data_dir
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "relaydesk.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"relaydesk demo exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError("/login did not answer within 120 s")
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def main(restarts: int) -> None:
    with tempfile.TemporaryDirectory(prefix="relaydesk-demo-") as data_dir:
        first = start_once(data_dir)
        again = [start_once(data_dir) for _ in range(restarts)]
    print(f"first start (initdb, migrations, seed) until /login answers: {first:.2f} s")
    for n, seconds in enumerate(again, 1):
        print(f"restart {n}: {seconds:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--restarts", type=int, default=2)
    main(parser.parse_args().restarts)
