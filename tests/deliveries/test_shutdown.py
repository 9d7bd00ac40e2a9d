"""SIGTERM to a real `relaydesk worker` mid-delivery: nothing doubled, nothing lost, resumed at once."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from starlette.requests import Request
from starlette.responses import Response

from relaydesk import metrics
from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.deliveries.reminder_queue import ReminderQueue
from relaydesk.settings import Settings
from relaydesk.worker import Worker
from tests.deliveries.conftest import SIGNING_SECRET, Connect, Team, statuses
from tests.factories import escalate, make_session
from tests.fakes.server import LocalServer, serving
from tests.fakes.smtp import FakeSmtp
from tests.fakes.webhook_receiver import FakeWebhookReceiver
from tests.processes import start_relaydesk, stop, wait_until


def _env(database_url: str, settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "RELAYDESK_DATABASE_URL": database_url,
        "RELAYDESK_SECRET_KEY": settings.resolved_secret_key(),
        "RELAYDESK_PUBLIC_URL": "http://relaydesk.test",
        "RELAYDESK_WORKER_POLL_SECONDS": "0.2",
        "RELAYDESK_PSA_SUMMARY_WAIT_SECONDS": "0",
        "RELAYDESK_LLM_MODEL": "",
        # Long: any resend seen here comes from the shutdown, never from a lease running out.
        "RELAYDESK_DELIVERY_LEASE_SECONDS": "120",
        **extra,
    }


def _rows(admin_conn: psycopg.Connection) -> list[tuple[str, int, int | None]]:
    return admin_conn.execute(
        "SELECT status, attempts, data_attempt FROM deliveries WHERE channel = 'email' ORDER BY target"
    ).fetchall()


async def test_sigterm_while_the_smtp_server_holds_data_records_the_email_once(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    delivery_settings: Settings,
    database_url: str,
    fake_smtp: FakeSmtp,
    tmp_path: Path,
) -> None:
    """The SMTP server has the message and is slow to say 250: the stopping worker waits for the
    reply, records `sent`, then exits. Nothing is sent twice; nothing waits for a lease."""
    fake_smtp.hang_next(4.0)
    env = _env(
        database_url,
        delivery_settings,
        RELAYDESK_SMTP_URL=fake_smtp.url(),
        RELAYDESK_SHUTDOWN_GRACE_SECONDS="1",
    )
    worker = await start_relaydesk("worker", env=env, log=tmp_path / "worker.log")
    try:
        session = await make_session(db, team.jane)
        await escalate(db, team.jane, session)
        # The first email is in DATA (its attempt committed `data_attempt`) and the server stalls.
        await wait_until(lambda: any(d == 1 for _, _, d in _rows(admin_conn)), "an email in DATA", within=90)
        worker.send_signal(signal.SIGTERM)
        assert await stop(worker) == 0, (tmp_path / "worker.log").read_text()[-2000:]
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    rows = _rows(admin_conn)
    assert rows and all(status in ("sent", "pending") for status, _, _ in rows), rows
    assert any(status == "sent" and d == 1 for status, _, d in rows)  # the one held in DATA

    # Whatever the stopped worker had not started is taken by the next one; nothing goes twice.
    queue = DeliveryQueue(delivery_settings)
    try:
        deadline = time.monotonic() + 30
        while any(status != "sent" for status, _, _ in _rows(admin_conn)):
            assert time.monotonic() < deadline, _rows(admin_conn)
            if not await queue.run_once(db):
                await asyncio.sleep(0.05)
    finally:
        await queue.aclose()
    ids = [mail.message["Message-ID"] for mail in fake_smtp.messages]
    assert len(ids) == len(rows) and len(set(ids)) == len(ids)  # 0 doubled, 0 lost
    assert all(attempts == 1 for _, attempts, _ in _rows(admin_conn))


class HoldFirst(FakeWebhookReceiver):
    """Takes the first POST in and never answers it (until released); answers later ones at once."""

    def __init__(self, secret: str) -> None:
        self.hold = threading.Event()
        self.first = threading.Event()
        self.times: list[float] = []
        super().__init__(secret)

    async def _receive(self, request: Request) -> Response:
        self.times.append(time.time())
        if not self.first.is_set():
            self.first.set()
            await asyncio.to_thread(self.hold.wait, 60)
        return await super()._receive(request)


@pytest.fixture
def held() -> Iterator[tuple[HoldFirst, LocalServer[HoldFirst]]]:
    receiver = HoldFirst(SIGNING_SECRET)
    with serving(receiver) as server:
        yield receiver, server
        receiver.hold.set()


async def test_sigterm_mid_webhook_gives_the_lease_back_and_another_worker_resumes_within_2s(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    database_url: str,
    held: tuple[HoldFirst, LocalServer[HoldFirst]],
    tmp_path: Path,
) -> None:
    receiver, server = held
    await connect("webhook", {"url": receiver.url(server.url), "signing_secret": SIGNING_SECRET})
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')", (team.account.id,)
    )
    env = _env(database_url, delivery_settings, RELAYDESK_SHUTDOWN_GRACE_SECONDS="1")
    first = await start_relaydesk("worker", env=env, log=tmp_path / "worker.log")
    # The other worker polls only every 30 s: resuming within 2 s needs the lease given back and a NOTIFY.
    other = Worker(db, [DeliveryQueue(delivery_settings), ReminderQueue()], poll_seconds=30)
    stop_other = asyncio.Event()
    other_task: asyncio.Task[None] | None = None
    try:
        session = await make_session(db, team.jane)
        await escalate(db, team.jane, session)
        await wait_until(receiver.first.is_set, "the first worker's POST", within=90)
        other_task = asyncio.create_task(other.run_until(stop_other))
        await asyncio.sleep(0.5)  # the other worker drained once and waits on LISTEN
        first.send_signal(signal.SIGTERM)
        assert await stop(first) == 0, (tmp_path / "worker.log").read_text()[-2000:]
        released_at = admin_conn.execute(
            "SELECT extract(epoch FROM updated_at) FROM deliveries WHERE channel = 'webhook'"
        ).fetchone()
        await wait_until(lambda: len(receiver.times) == 2, "the other worker's POST", within=10)
        await wait_until(
            lambda: statuses(admin_conn)[0][2] == "sent", "the webhook recorded as sent", within=10
        )
    finally:
        receiver.hold.set()
        stop_other.set()
        if other_task is not None:
            await other_task
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert released_at is not None
    resumed_after = receiver.times[1] - float(released_at[0])
    assert resumed_after < 2.0, resumed_after
    posts = receiver.requests_to("/hooks", "POST")
    assert len(posts) == 2 and posts[0].headers["webhook-id"] == posts[1].headers["webhook-id"]
    assert len(receiver.events) == 1  # the receiver dedupes on webhook-id: 0 doubled
    ((_, _, status, attempts, error, _),) = statuses(admin_conn)
    assert (status, attempts, error) == ("sent", 2, None)


async def test_a_lease_that_ran_out_after_data_is_an_uncertain_resend_counted_once(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    delivery_settings: Settings,
    fake_smtp: FakeSmtp,
) -> None:
    """As a SIGKILLed worker leaves them: one email past DATA (uncertain), the others before it (not)."""
    session = await make_session(db, team.jane)
    await escalate(db, team.jane, session)
    emails = admin_conn.execute(
        "SELECT id FROM deliveries WHERE channel = 'email' ORDER BY target"
    ).fetchall()
    assert len(emails) >= 2
    admin_conn.execute(
        "UPDATE deliveries SET status = 'sending', attempts = 1, next_attempt_at = now() - interval '1 s' "
        "WHERE channel = 'email'"
    )
    admin_conn.execute("UPDATE deliveries SET data_attempt = 1 WHERE id = %s", (emails[0][0],))
    counter = metrics.UNCERTAIN_RESENDS.labels(channel="email")
    before = counter._value.get()
    queue = DeliveryQueue(delivery_settings)
    try:
        while await queue.run_once(db):
            pass
    finally:
        await queue.aclose()
    assert counter._value.get() == before + 1
    ids = {mail.message["Message-ID"] for mail in fake_smtp.messages}
    assert f"<{emails[0][0].hex}.relaydesk@msp.example>" in ids  # the same Message-ID as the first try
    assert all(status == "sent" and attempts == 2 for status, attempts, _ in _rows(admin_conn))
