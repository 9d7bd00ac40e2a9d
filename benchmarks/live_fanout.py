"""Live fan-out: SSE subscribers spread over two `relaydesk serve` processes on one database.

    .venv/bin/python -m benchmarks.live_fanout [--subscribers 1000] [--escalations 200] [--rate 5]
                                             [--users 100] [--client-processes 2]

Everything is on loopback. The database is RELAYDESK_BENCH_DATABASE_URL, else the machine's
PostgreSQL on 127.0.0.1:5432, else the embedded one (a scratch database `relaydesk_bench_live_fanout`).

- `--users` engineers hold `--subscribers` streams between them (several tabs each), split evenly
  over the two servers. Every escalation is one `handoff.created` for every stream plus one bell
  item (`notification.created`) per engineer, which reaches only that engineer's streams.
- The escalations are committed by this process through the service, at a steady rate; the commit
  time is taken when the commit returns. Subscribers run in separate client processes and stamp each
  chunk as it arrives (CLOCK_MONOTONIC is one clock for every process on Linux).
- Latency is commit -> arrival at each subscriber, for every delivery. Lost = deliveries expected
  and not received by the end (the run waits up to --drain seconds after the last commit).
- Memory: RSS of the two serve processes with every subscriber connected, minus their RSS before
  any subscriber connected (after a warm-up), divided by the subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks._support import free_port, make_team, ms, percentile, scratch_database
from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import SessionCreate, StepCreate

# --- the servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def serve(database_url: str, data_dir: Path) -> Iterator[Server]:
    port = free_port()
    log = open(os.environ.get("RELAYDESK_BENCH_LOG", os.devnull), "a")
    process = subprocess.Popen(
        [sys.executable, "-m", "relaydesk.cli", "serve", "--port", str(port)],
        env={
            **os.environ,
            "RELAYDESK_DATABASE_URL": database_url,
            "RELAYDESK_DATA_DIR": str(data_dir),
            "RELAYDESK_SECRET_KEY": "bench-secret",
            "RELAYDESK_RUN_WORKER": "false",  # fan-out only: no summaries competing for the CPU
        },
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "relaydesk serve exited; set RELAYDESK_BENCH_LOG=/tmp/serve.log to see why"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("relaydesk serve did not come up")
            time.sleep(0.2)
        yield Server(url, process)
    finally:
        # Open streams never end by themselves, and uvicorn waits for them on SIGTERM.
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


# --- the subscribers (in client processes) -----------------------------------------------------


@dataclass
class Stream:
    arrivals: dict[str, float] = field(default_factory=dict)  # handoff id -> arrival of handoff.created
    bells: list[float] = field(default_factory=list)  # arrival of each notification.created
    seqs: list[int] = field(default_factory=list)
    duplicates: int = 0
    error: str | None = None


async def _subscribe(host: str, port: int, token: str, stream: Stream, ready: asyncio.Event) -> None:
    """A minimal HTTP/1.1 SSE client: chunked transfer decoding and frame splitting, nothing else."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            f"GET /api/v1/live HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(status.decode().strip())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        buffer = b""
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                raise RuntimeError("the stream ended")
            chunk = await reader.readexactly(size + 2)
            arrived = time.monotonic()
            buffer += chunk[:-2]
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                fields = dict(
                    line.split(": ", 1) for line in frame.decode().split("\n") if not line.startswith(":")
                )
                event = fields.get("event")
                if event == "ready":
                    ready.set()
                elif event == "handoff.created":
                    hid = json.loads(fields["data"])["handoff_id"]
                    if hid in stream.arrivals:
                        stream.duplicates += 1
                    stream.arrivals[hid] = arrived
                elif event == "notification.created":
                    stream.bells.append(arrived)
                if "id" in fields and event:
                    stream.seqs.append(int(fields["id"]))
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as exc:
        stream.error = repr(exc)
        ready.set()


def client_process(targets: list[tuple[str, int, str]], conn: mp.connection.Connection) -> None:
    """Hold `targets` streams; report 'ready', wait for 'collect' with the expected ids, report back."""

    async def main() -> None:
        streams = [Stream() for _ in targets]
        readies = [asyncio.Event() for _ in targets]
        gate = asyncio.Semaphore(50)  # connect in waves: each connect is an auth transaction

        async def one(i: int) -> None:
            async with gate:
                task = asyncio.create_task(_subscribe(*targets[i], streams[i], readies[i]))
                await readies[i].wait()
            await task

        tasks = [asyncio.create_task(one(i)) for i in range(len(targets))]
        await asyncio.gather(*(r.wait() for r in readies))
        conn.send(("ready", sum(1 for s in streams if s.error)))
        loop = asyncio.get_running_loop()
        expected_ids, bells_each, drain = await loop.run_in_executor(None, conn.recv)
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline:
            if all(len(s.arrivals) >= len(expected_ids) and len(s.bells) >= bells_each for s in streams):
                break
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        conn.send([(s.arrivals, s.bells, s.seqs, s.duplicates, s.error) for s in streams])

    asyncio.run(main())


# --- the run -------------------------------------------------------------------------------------


async def _setup(db: Database, users: int, escalations: int) -> tuple[object, list[str], list[uuid.UUID]]:
    async with db.uow() as uow:
        team = await make_team(uow, "Fan-out MSP", users)
        account, junior = team.account, team.junior
        tokens = [(await accounts.issue_api_token(uow, senior, label="bench"))[0] for senior in team.seniors]
        actor = accounts.actor_for(junior, via="token")
    session_ids = []
    for n in range(escalations):
        async with db.uow(account.id) as uow:
            session = await sessions.create_session(
                uow,
                actor,
                SessionCreate(
                    problem_summary=f"Outlook fails to sync for user {n} after the move to modern auth",
                    client_name="Acme Dental",
                    ticket_id=str(48000 + n),
                    priority="high",
                ),
            )
            for step in range(3):
                await sessions.add_step(
                    uow,
                    actor,
                    session.id,
                    StepCreate(action=f"Step {step}", result="Same error", outcome="failed"),
                )
            session_ids.append(session.id)
    return actor, tokens, session_ids


async def _escalate_steadily(
    db: Database, actor: object, session_ids: list[uuid.UUID], rate: float
) -> dict[str, float]:
    committed: dict[str, float] = {}
    start = time.monotonic()
    for n, sid in enumerate(session_ids):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        async with db.uow(actor.account_id) as uow:  # type: ignore[attr-defined]
            handoff = await handoffs.create_handoff(
                uow,
                actor,
                sid,
                HandoffCreate(intent="escalate", reason="Out of ideas"),  # type: ignore[arg-type]
            )
        committed[str(handoff.id)] = time.monotonic()  # the commit has returned
    return committed


def run(
    subscribers: int, escalations: int, rate: float, users: int, client_processes: int, drain: float
) -> None:
    url = scratch_database("live_fanout")
    db = Database(url, pool_size=4)
    actor, tokens, session_ids = asyncio.run(_setup(db, users, escalations))
    with (
        tempfile.TemporaryDirectory() as data_dir,
        serve(url, Path(data_dir)) as one,
        serve(url, Path(data_dir)) as two,
    ):
        servers = [one, two]
        # warm-up: one stream on each server, so code paths are loaded before the baseline
        for server in servers:
            with httpx.stream(
                "GET",
                server.url + "/api/v1/live",
                headers={"Authorization": f"Bearer {tokens[0]}"},
                timeout=5,
            ) as response:
                next(response.iter_bytes())
        time.sleep(1)
        baseline = [s.rss_kib() for s in servers]

        targets = [(*servers[i % 2].host_port, tokens[i % users]) for i in range(subscribers)]
        pipes, procs = [], []
        for p in range(client_processes):
            parent, child = mp.Pipe()
            proc = mp.get_context("fork").Process(
                target=client_process, args=(targets[p::client_processes], child)
            )
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        started = time.monotonic()
        failed = sum(pipe.recv()[1] for pipe in pipes)
        connect_seconds = time.monotonic() - started
        time.sleep(1)
        connected = [s.rss_kib() for s in servers]

        print(
            f"{subscribers} subscribers ({users} engineers) on 2 serve processes: connected in "
            f"{connect_seconds:.1f} s, {failed} failed to connect"
        )
        cpu_before = [s.cpu_seconds() for s in servers]
        committed = asyncio.run(_escalate_steadily(db, actor, session_ids, rate))
        took = max(committed.values()) - min(committed.values())
        print(f"{escalations} escalations committed over {took:.1f} s ({escalations / took:.1f}/s)")
        for pipe in pipes:
            pipe.send((list(committed), escalations, drain))
        results = [row for pipe in pipes for row in pipe.recv()]
        cpu = [s.cpu_seconds() - b for s, b in zip(servers, cpu_before, strict=True)]
        for proc in procs:
            proc.join(timeout=30)
        after = [s.rss_kib() for s in servers]

    created_latency: list[float] = []
    bell_latency: list[float] = []
    lost_created = lost_bells = duplicates = disordered = errors = 0
    ordered_commits = sorted(committed.values())
    for arrivals, bells, seqs, dups, error in results:
        errors += error is not None
        duplicates += dups
        disordered += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
        for hid, at in committed.items():
            if hid in arrivals:
                created_latency.append(arrivals[hid] - at)
            else:
                lost_created += 1
        lost_bells += max(0, escalations - len(bells))
        # bells of one engineer arrive in commit order: pair the n-th with the n-th commit
        bell_latency += [at - c for at, c in zip(bells, ordered_commits, strict=False)]

    everything = created_latency + bell_latency
    per_escalation = {
        hid: statistics.median(arrivals[hid] - at for arrivals, *_ in results if hid in arrivals)
        for hid, at in committed.items()
    }
    order = {hid: n for n, hid in enumerate(committed)}
    worst = sorted(per_escalation, key=per_escalation.__getitem__, reverse=True)[:3]

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<22} n={len(values):>7}  p50 {ms(percentile(values, 50))}"
            f"  p99 {ms(percentile(values, 99))}  max {ms(max(values)) if values else 'n/a'}"
        )

    print("delivery latency, commit -> subscriber:")
    print("  " + line("handoff.created", created_latency))
    print("  " + line("notification.created", bell_latency))
    print("  " + line("all deliveries", everything))
    print(
        "  slowest escalations (median over subscribers): "
        + ", ".join(f"#{order[h]} {ms(per_escalation[h])}" for h in worst)
    )
    expected = subscribers * escalations * 2
    print(
        f"events lost: {lost_created + lost_bells} of {expected} expected "
        f"(handoff.created {lost_created}, bell {lost_bells}); duplicates {duplicates}; "
        f"out of order {disordered}; streams with errors {errors}"
    )
    grown = sum(connected) - sum(baseline)
    print(
        f"memory: serve RSS {sum(baseline) / 1024:.0f} MiB before subscribers, "
        f"{sum(connected) / 1024:.0f} MiB with {subscribers} connected -> "
        f"{grown / subscribers:.1f} KiB per subscriber; "
        f"{sum(after) / 1024:.0f} MiB after the run"
    )
    print(
        f"serve CPU during the escalations: {cpu[0]:.1f} s and {cpu[1]:.1f} s "
        f"({sum(cpu) / escalations * 1000:.0f} ms per escalation for both); mean latency "
        f"{ms(statistics.fmean(everything)) if everything else 'n/a'}; machine load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="escalations per second")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for stragglers")
    args = parser.parse_args()
    run(args.subscribers, args.escalations, args.rate, args.users, args.client_processes, args.drain)
