"""CSV history import: rows per second and peak memory of `relaydesk import history`, end to end.

    .venv/bin/python -m benchmarks.imports [--rows 100000] [--steps 3]

Writes a CSV of `--rows` resolved tickets (problem, three steps of which one has a result, a resolution,
client, category, closed_at, technician; words drawn from an IT vocabulary so the search trigger does
real work) into a scratch database's account, then runs the real command as a subprocess
(`relaydesk import history --json`), timing it from start to exit and reading the child's peak RSS from
wait4. It runs twice, with a tenth of the rows and with all of them: memory that stays flat is the same
peak for both. Then a second run of the full file, which must import nothing.

The machine may be shared, so each line also gives the load average and the CPU seconds really spent:
the command's own (wait4) plus its PostgreSQL backends' (read from /proc/<pid>/stat while it runs, the
backends found in pg_stat_activity). Rows per CPU second is the figure a busy machine does not distort.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from benchmarks._support import make_team, scratch_database
from relaydesk.db.uow import Database

WORDS = (
    "vpn tunnel drops outlook mailbox sync password reset mfa printer spooler driver dns dhcp lease "
    "firewall rule port certificate expired domain controller replication group policy login slow "
    "profile corrupt onedrive sharepoint permission teams meeting audio camera laptop battery wifi "
    "access point switch vlan backup job failed restore snapshot disk full raid controller server "
    "reboot update patch windows macos kernel service crash event log error timeout latency packet "
    "loss license activation office excel macro database query locked account expired token sso "
    "azure intune enrolment compliance policy antivirus quarantine phishing mail flow connector "
    "smtp relay bounce spam filter calendar delegate shared folder mapped drive network share"
).split()
TECHS = ("Dana Senior", "Sam Lead", "Kim Tech", "Alex Admin")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def write_csv(path: Path, rows: int, steps: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["ticket_id", "problem", "steps", "resolution", "client", "category", "closed_at", "technician"]
        )
        for n in range(rows):
            lines = [_sentence(rng, 6) for _ in range(steps)]
            lines[0] += " => " + _sentence(rng, 5)
            out.writerow(
                [
                    f"CW-{n}",
                    _sentence(rng, 9),
                    "\n".join(lines),
                    _sentence(rng, 12),
                    f"Client {n % 200}",
                    rng.choice(("Network", "Email", "Printing", "Identity", "Backup")),
                    f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:15:00Z",
                    rng.choice(TECHS),
                ]
            )


async def _account(url: str) -> str:
    db = Database(url, pool_size=1)
    try:
        async with db.uow() as uow:
            team = await make_team(uow, "Imports bench", seniors=2)
            return str(team.account.id)
    finally:
        await db.dispose()


class BackendCpu:
    """Polls the CPU time of the bench database's backends (same machine) while an import runs."""

    def __init__(self, url: str, database: str) -> None:
        self._url, self._database = url, database
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self._url, autocommit=True) as conn:
            while not self._stop.wait(0.2):
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self._database,),
                ).fetchall()
                for (pid,) in pids:
                    with contextlib.suppress(OSError):
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        self._seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def __enter__(self) -> BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())


def run_import(url: str, account: str, path: Path) -> tuple[float, float, float, dict[str, object]]:
    """(seconds, CPU seconds of the command and its backends, peak RSS in MiB, the JSON report)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        with BackendCpu(url, url.rsplit("/", 1)[1]) as backends:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "relaydesk.cli",
                    "import",
                    "history",
                    "--account",
                    account,
                    str(path),
                    "--json",
                ],
                env={**os.environ, "RELAYDESK_DATABASE_URL": url},
                stdout=out,
                stderr=err,
            )
            # wait4 reaps this child alone and returns its own rusage (getrusage would mix in earlier runs).
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"import failed: {err.read()}")
        cpu = usage.ru_utime + usage.ru_stime + backends.seconds
        return seconds, cpu, usage.ru_maxrss / 1024, json.loads(out.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (max(1, args.rows // 10), args.rows):
            url = scratch_database("imports")
            account = asyncio.run(_account(url))
            path = Path(tmp) / f"history-{rows}.csv"
            write_csv(path, rows, args.steps)
            size = path.stat().st_size / 1024 / 1024
            load = os.getloadavg()[0]
            seconds, cpu, peak, report = run_import(url, account, path)
            assert report["imported"] == rows, report
            print(
                f"{rows:>7} rows ({size:.1f} MiB CSV, {rows * args.steps} steps): {seconds:6.1f} s, "
                f"{rows / seconds:7.0f} rows/s, peak RSS {peak:.0f} MiB; {cpu:.1f} CPU s "
                f"({rows / cpu:.0f} rows per CPU second); load average {load:.1f} on {os.cpu_count()} CPUs"
            )
        seconds, cpu, peak, report = run_import(url, account, path)
        assert report["imported"] == 0 and report["skipped"] == args.rows, report
        print(
            f"second run of the same {args.rows} rows: imported 0, skipped all, {seconds:.1f} s, "
            f"peak RSS {peak:.0f} MiB, {cpu:.1f} CPU s"
        )


if __name__ == "__main__":
    main()
