"""Fixtures for delivery tests: local vendor servers, a team, integrations, and a worker to drive."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.deliveries.reminder_queue import ReminderQueue
from relaydesk.deliveries.webhook import generate_secret
from relaydesk.psa import autotask as autotask_client
from relaydesk.settings import Settings
from tests.factories import Member, make_account, make_user
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer, serving
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook_receiver import FakeWebhookReceiver

SIGNING_SECRET = generate_secret()
FINAL = ("sent", "dead")


# -- vendor servers: one per module, reset and (re)started for each test ------------------------


@pytest.fixture(scope="module")
def _slack() -> Iterator[LocalServer[FakeSlack]]:
    with serving(FakeSlack()) as server:
        yield server


@pytest.fixture(scope="module")
def _teams() -> Iterator[LocalServer[FakeTeams]]:
    with serving(FakeTeams()) as server:
        yield server


@pytest.fixture(scope="module")
def _hooks() -> Iterator[LocalServer[FakeWebhookReceiver]]:
    with serving(FakeWebhookReceiver(SIGNING_SECRET)) as server:
        yield server


@pytest.fixture(scope="module")
def _cw() -> Iterator[LocalServer[cw.FakeConnectWise]]:
    with serving(cw.FakeConnectWise()) as server:
        yield server


@pytest.fixture(scope="module")
def _at() -> Iterator[LocalServer[at.FakeAutotask]]:
    with serving(at.FakeAutotask()) as server:
        yield server


@pytest.fixture(scope="module")
def _halo() -> Iterator[LocalServer[halo.FakeHalo]]:
    with serving(halo.FakeHalo()) as server:
        yield server


@pytest.fixture(scope="module")
def _smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp(users={}) as server:
        yield server


def _fresh(server: Any) -> Any:
    server.app.reset()
    server.start()  # a test may have stopped it
    return server


@pytest.fixture
def fake_slack(_slack: LocalServer[FakeSlack]) -> LocalServer[FakeSlack]:
    return _fresh(_slack)


@pytest.fixture
def fake_teams(_teams: LocalServer[FakeTeams]) -> LocalServer[FakeTeams]:
    return _fresh(_teams)


@pytest.fixture
def fake_hooks(_hooks: LocalServer[FakeWebhookReceiver]) -> LocalServer[FakeWebhookReceiver]:
    return _fresh(_hooks)


@pytest.fixture
def fake_cw(_cw: LocalServer[cw.FakeConnectWise]) -> LocalServer[cw.FakeConnectWise]:
    return _fresh(_cw)


@pytest.fixture
def fake_at(_at: LocalServer[at.FakeAutotask]) -> LocalServer[at.FakeAutotask]:
    autotask_client.clear_zone_cache()
    return _fresh(_at)


@pytest.fixture
def fake_halo(_halo: LocalServer[halo.FakeHalo]) -> LocalServer[halo.FakeHalo]:
    return _fresh(_halo)


@pytest.fixture
def fake_smtp(_smtp: FakeSmtp) -> FakeSmtp:
    _smtp.reset()
    _smtp.start()
    return _smtp


# -- settings and the worker --------------------------------------------------------------------


@pytest.fixture
def delivery_settings(settings: Settings, fake_smtp: FakeSmtp) -> Settings:
    """The app's settings with email on the fake SMTP server and retries fast enough for tests."""
    return settings.model_copy(
        update={
            "smtp_url": fake_smtp.url(),
            "mail_from": "Relaydesk <relaydesk@msp.example>",
            "delivery_backoff_seconds": 0.2,
            "delivery_backoff_max_seconds": 1.0,
            "delivery_timeout_seconds": 2.0,
            "delivery_lease_seconds": 4.0,
            "delivery_max_attempts": 6,
            "psa_summary_wait_seconds": 0.0,
        }
    )


@pytest.fixture
async def queue(delivery_settings: Settings) -> AsyncIterator[DeliveryQueue]:
    q = DeliveryQueue(delivery_settings)
    yield q
    await q.aclose()


def statuses(admin_conn: psycopg.Connection, account_id: uuid.UUID | None = None) -> list[tuple[Any, ...]]:
    query = "SELECT channel, target, status, attempts, last_error, external_id FROM deliveries"
    if account_id is not None:
        return admin_conn.execute(
            query + " WHERE account_id = %s ORDER BY channel, target", (account_id,)
        ).fetchall()
    return admin_conn.execute(query + " ORDER BY channel, target").fetchall()


def unfinished(admin_conn: psycopg.Connection) -> int:
    row = admin_conn.execute(
        "SELECT count(*) FROM deliveries WHERE status NOT IN ('sent', 'dead')"
    ).fetchone()
    assert row is not None
    return int(row[0])


Check = Callable[[], bool]


async def run_worker(
    db: Database,
    *queues: Any,
    until: Check,
    seconds: float = 20.0,
) -> None:
    """Run the queues like the worker loop does (poll when idle) until `until()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        busy = False
        for q in queues:
            busy = await q.run_once(db) or busy
        if not busy:
            if until():
                return
            if loop.time() > deadline:
                raise AssertionError("the worker did not get there in time")
            await asyncio.sleep(0.05)


async def drain_all(db: Database, queue: DeliveryQueue, admin_conn: psycopg.Connection, **kw: Any) -> None:
    await run_worker(db, queue, ReminderQueue(), until=lambda: unfinished(admin_conn) == 0, **kw)


# -- a team ---------------------------------------------------------------------------------------


@dataclass
class Team:
    account: Account
    jane: Member  # the escalating engineer
    sam: Member  # engineer, email on
    kim: Member  # engineer, email off
    val: Member  # viewer
    ada: Member  # admin
    olga: Member  # owner
    gone: Member  # engineer, removed


def _tag() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture
async def team(db: Database, admin_conn: psycopg.Connection) -> Team:
    account = await make_account(db, name=f"MSP {uuid.uuid4().hex[:6]}")
    # Only those the page tests sign in as get a password: hashing one costs ~0.5 s.
    members = {
        "jane": await make_user(db, account, name="Jane Doe", email=f"jane-{_tag()}@msp.example"),
        "sam": await make_user(db, account, name="Sam Lee", email=f"sam-{_tag()}@msp.example", password=None),
        "kim": await make_user(
            db, account, name="Kim Park", email=f"kim-{_tag()}@msp.example", password=None
        ),
        "val": await make_user(db, account, role="viewer", name="Val Viewer", password=None),
        "ada": await make_user(
            db, account, role="admin", name="Ada Admin", email=f"ada-{_tag()}@msp.example"
        ),
        "olga": await make_user(
            db, account, role="owner", name="Olga Owner", email=f"olga-{_tag()}@msp.example", password=None
        ),
        "gone": await make_user(db, account, name="Gone Person", password=None),
    }
    admin_conn.execute(
        "UPDATE users SET email_notifications = false WHERE id = %s", (members["kim"].user.id,)
    )
    admin_conn.execute("UPDATE users SET deleted_at = now() WHERE id = %s", (members["gone"].user.id,))
    return Team(account=account, **members)


Connect = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def connect(client: httpx.AsyncClient, team: Team) -> Connect:
    """Add an integration through the API as the team's admin."""

    async def add(
        kind: str, settings: dict[str, Any], *, name: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        response = await client.post(
            "/api/v1/integrations",
            headers=team.ada.headers,
            json={"kind": kind, "name": name or f"{kind} one", "settings": settings, **extra},
        )
        assert response.status_code == 201, response.text
        return response.json()

    return add


def cw_settings(server: LocalServer[cw.FakeConnectWise], **override: str) -> dict[str, str]:
    return {
        "site": server.url,
        "company_id": cw.COMPANY,
        "public_key": cw.PUBLIC_KEY,
        "private_key": cw.PRIVATE_KEY,
        "client_id": cw.CLIENT_ID,
        **override,
    }


def set_sla(admin_conn: psycopg.Connection, account_id: uuid.UUID, minutes: float) -> None:
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, pickup_sla_minutes) VALUES (%s, %s) "
        "ON CONFLICT (account_id) DO UPDATE SET pickup_sla_minutes = excluded.pickup_sla_minutes",
        (account_id, minutes),
    )
