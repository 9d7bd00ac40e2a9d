"""A worker killed between sending and recording: the retry must not double what the far side can dedupe."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from starlette.requests import Request
from starlette.responses import Response

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.settings import Settings
from tests.deliveries.conftest import SIGNING_SECRET, Connect, Team, cw_settings, drain_all, statuses
from tests.factories import escalate, make_session
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer, serving
from tests.fakes.webhook_receiver import FakeWebhookReceiver


class SlowConnectWise(cw.FakeConnectWise):
    """Adds the note, then holds the reply until released: the window in which a worker dies."""

    def __init__(self) -> None:
        self.hold = threading.Event()
        self.added = threading.Event()
        super().__init__()

    async def _add_note(self, request: Request) -> Response:
        response = await super()._add_note(request)
        self.added.set()
        await asyncio.to_thread(self.hold.wait, 30)
        return response


class SlowReceiver(FakeWebhookReceiver):
    def __init__(self, secret: str) -> None:
        self.hold = threading.Event()
        self.received = threading.Event()
        super().__init__(secret)

    async def _receive(self, request: Request) -> Response:
        response = await super()._receive(request)
        self.received.set()
        await asyncio.to_thread(self.hold.wait, 30)
        return response


@pytest.fixture
def slow_cw() -> Iterator[LocalServer[SlowConnectWise]]:
    fake = SlowConnectWise()
    with serving(fake) as server:
        yield server
        fake.hold.set()


def _wait(condition: threading.Event, what: str, timeout: float = 20) -> None:
    if not condition.wait(timeout):
        raise AssertionError(f"timed out waiting for {what}")


async def test_worker_process_killed_mid_send_does_not_double_the_psa_note(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    database_url: str,
    slow_cw: LocalServer[SlowConnectWise],
) -> None:
    """A real `relaydesk worker` process, SIGKILLed while ConnectWise is answering its POST."""
    await connect("connectwise", cw_settings(slow_cw))
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')", (team.account.id,)
    )
    env = {
        **os.environ,
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SECRET_KEY": delivery_settings.resolved_secret_key(),
        "RELAYDESK_PUBLIC_URL": "http://relaydesk.test",
        "RELAYDESK_WORKER_POLL_SECONDS": "0.2",
        "RELAYDESK_DELIVERY_LEASE_SECONDS": "3",
        "RELAYDESK_PSA_SUMMARY_WAIT_SECONDS": "0",
        "RELAYDESK_OUTBOUND_ALLOW_HOSTS": delivery_settings.outbound_allow_hosts,
        "RELAYDESK_LLM_MODEL": "",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relaydesk.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        session = await make_session(db, team.jane, ticket="4711")
        await escalate(db, team.jane, session)
        await asyncio.to_thread(_wait, slow_cw.app.added, "the worker's note")
        os.kill(worker.pid, signal.SIGKILL)  # the note is in ConnectWise; the worker never hears back
        await asyncio.wait_for(worker.wait(), 10)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    slow_cw.app.hold.set()
    ((channel, _, status, attempts, _, _),) = statuses(admin_conn)
    assert (channel, status, attempts) == ("psa_note", "sending", 1)
    assert len(slow_cw.app.notes[4711]) == 1

    # A new worker: once the dead one's lease runs out, it retries, finds the note by its marker
    # and records it instead of posting a second one.
    started = time.monotonic()
    queue = DeliveryQueue(delivery_settings.model_copy(update={"delivery_lease_seconds": 3.0}))
    try:
        await drain_all(db, queue, admin_conn)
    finally:
        await queue.aclose()
    assert time.monotonic() - started < 10
    (note,) = slow_cw.app.notes[4711]
    ((_, _, status, attempts, error, external_id),) = statuses(admin_conn)
    assert (status, attempts, error, external_id) == ("sent", 2, None, str(note["id"]))
    posts = slow_cw.app.requests_to("/notes", "POST")
    assert len(posts) == 1


async def test_worker_cancelled_mid_send_resends_the_same_webhook_id(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
) -> None:
    """The receiver sees the same `webhook-id` twice and keeps one event (Standard Webhooks dedupe)."""
    receiver = SlowReceiver(SIGNING_SECRET)
    with serving(receiver) as server:
        await connect("webhook", {"url": receiver.url(server.url), "signing_secret": SIGNING_SECRET})
        admin_conn.execute(
            "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')",
            (team.account.id,),
        )
        settings = delivery_settings.model_copy(update={"delivery_lease_seconds": 2.0})
        first = DeliveryQueue(settings)
        session = await make_session(db, team.jane)
        await escalate(db, team.jane, session)
        sending = asyncio.create_task(first.run_once(db))
        await asyncio.to_thread(_wait, receiver.received, "the webhook")
        sending.cancel()  # the worker is stopped here: sent, never recorded
        with pytest.raises(asyncio.CancelledError):
            await sending
        receiver.hold.set()
        # Stopped, not killed: it gave its lease back, so the next worker takes it now.
        assert statuses(admin_conn)[0][2] == "pending"

        second = DeliveryQueue(settings)
        try:
            await drain_all(db, second, admin_conn)
        finally:
            await first.aclose()
            await second.aclose()
        posts = receiver.requests_to("/hooks", "POST")
        assert len(posts) == 2
        assert posts[0].headers["webhook-id"] == posts[1].headers["webhook-id"]
        assert len(receiver.events) == 1  # deduped on webhook-id
        assert statuses(admin_conn)[0][2:4] == ("sent", 2)
