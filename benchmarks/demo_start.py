"""How long `relaydesk demo` takes to answer /login: first start and restart, embedded PostgreSQL.

    .venv/bin/python -m benchmarks.demo_start [--restarts 2]

Each run is a real `relaydesk demo --port N` in a fresh RELAYDESK_DATA_DIR (no RELAYDESK_DATABASE_URL,
so it starts its own PostgreSQL): the clock runs from spawning the process until GET /login answers
200. The first start includes initdb, migrations and the seed; a restart finds the seeded account and
changes nothing. Between runs the process is stopped with SIGINT and waited for.

Then the same phases one by one in a fresh process and data directory, to say where the time goes:
importing the CLI, starting the embedded server (initdb the first time), migrations, the seed, a
second seed (the restart's check), importing the app. The load average is printed with the figures:
on a shared machine it moves them more than anything in the code.
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


def start_once(data_dir: str) -> tuple[float, float]:
    """(seconds until /login answers, CPU seconds the relaydesk process used from start to stop)."""
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
                    answered = time.perf_counter() - started
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError("/login did not answer within 120 s")
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped by wait4 above
    return answered, usage.ru_utime + usage.ru_stime


PHASES = """
import asyncio, sys, time
from pathlib import Path
t = time.perf_counter()
import relaydesk.cli
print(f"  import relaydesk.cli: {time.perf_counter() - t:.2f} s")
from relaydesk.db.embedded import start_embedded
from relaydesk.db.migrate import upgrade
from relaydesk.demo import seed
t = time.perf_counter(); url = start_embedded(Path(sys.argv[1]))
print(f"  embedded PostgreSQL (initdb): {time.perf_counter() - t:.2f} s")
t = time.perf_counter(); upgrade(url); print(f"  migrations: {time.perf_counter() - t:.2f} s")
t = time.perf_counter(); asyncio.run(seed(url)); print(f"  seed: {time.perf_counter() - t:.2f} s")
t = time.perf_counter(); asyncio.run(seed(url)); print(f"  seed again: {time.perf_counter() - t:.2f} s")
t = time.perf_counter()
import relaydesk.app
print(f"  import relaydesk.app: {time.perf_counter() - t:.2f} s")
"""


def phases() -> None:
    with tempfile.TemporaryDirectory(prefix="relaydesk-demo-") as data_dir:
        subprocess.run([sys.executable, "-c", PHASES, data_dir], check=True)


def main(restarts: int) -> None:
    with tempfile.TemporaryDirectory(prefix="relaydesk-demo-") as data_dir:
        first = start_once(data_dir)
        again = [start_once(data_dir) for _ in range(restarts)]
    print(
        f"first start (initdb, migrations, seed) until /login answers: {first[0]:.2f} s "
        f"(CPU {first[1]:.2f} s)"
    )
    for n, (seconds, cpu) in enumerate(again, 1):
        print(f"restart {n}: {seconds:.2f} s (CPU {cpu:.2f} s)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print("phases, one by one:")
    phases()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--restarts", type=int, default=2)
    main(parser.parse_args().restarts)
