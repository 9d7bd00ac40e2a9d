"""PSA notes through the delivery worker on each vendor, along the corrected paths.

A worker that dies after the PSA stored the note but before the delivery row says so must not
post the note again: the retry finds the marker (ConnectWise by paging after a refused search,
Autotask across next pages whose host differs in case, HaloPSA with the HTML asked for and the
token endpoint discovered) and records the note it found. As in tests/deliveries/test_crash.py,
the fake holds its reply to the POST until the worker's task is cancelled.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from starlette.requests import Request
from starlette.responses import Response

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.psa import autotask
from relaydesk.settings import Settings
from tests.deliveries.conftest import Connect, Team, cw_settings, drain_all, statuses
from tests.factories import escalate, make_session
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer, serving


class Holding:
    """Mixin for a vendor fake: store the note, then hold the reply until released."""

    hold: threading.Event
    added: threading.Event

    def _holding(self) -> None:
        self.hold = threading.Event()
        self.added = threading.Event()

    async def _then_hold(self, response: Response) -> Response:
        self.added.set()
        await asyncio.to_thread(self.hold.wait, 30)
        return response


class SlowConnectWise(Holding, cw.FakeConnectWise):
    def __init__(self) -> None:
        self._holding()
        super().__init__()

    async def _add_note(self, request: Request) -> Response:
        return await self._then_hold(await super()._add_note(request))


class SlowAutotask(Holding, at.FakeAutotask):
    def __init__(self) -> None:
        self._holding()
        super().__init__()

    async def _add_note(self, request: Request) -> Response:
        return await self._then_hold(await super()._add_note(request))


class SlowHalo(Holding, halo.FakeHalo):
    def __init__(self) -> None:
        self._holding()
        super().__init__()

    async def _add_actions(self, request: Request) -> Response:
        return await self._then_hold(await super()._add_actions(request))


@pytest.fixture
def slow_cw() -> Iterator[LocalServer[SlowConnectWise]]:
    fake = SlowConnectWise()
    with serving(fake) as server:
        yield server
        fake.hold.set()


@pytest.fixture
def slow_at() -> Iterator[LocalServer[SlowAutotask]]:
    autotask.clear_zone_cache()
    fake = SlowAutotask()
    with serving(fake) as server:
        yield server
        fake.hold.set()
    autotask.clear_zone_cache()


@pytest.fixture
def slow_halo() -> Iterator[LocalServer[SlowHalo]]:
    fake = SlowHalo()
    with serving(fake) as server:
        yield server
        fake.hold.set()


def _wait(condition: threading.Event, what: str, timeout: float = 20) -> None:
    if not condition.wait(timeout):
        raise AssertionError(f"timed out waiting for {what}")


async def _crash_then_retry(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    settings: Settings,
    fake: Holding,
    ticket: str,
) -> tuple[Any, ...]:
    """Escalate, cancel the worker while the PSA holds its reply to the POST, then retry.

    Returns the PSA delivery row once a second worker has finished with it."""
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')", (team.account.id,)
    )
    settings = settings.model_copy(update={"delivery_lease_seconds": 2.0})
    first, second = DeliveryQueue(settings), DeliveryQueue(settings)
    try:
        session = await make_session(db, team.jane, ticket=ticket)
        await escalate(db, team.jane, session)
        sending = asyncio.create_task(first.run_once(db))
        await asyncio.to_thread(_wait, fake.added, "the worker's note")
        sending.cancel()  # the worker dies here: the note is stored, never recorded
        with pytest.raises(asyncio.CancelledError):
            await sending
        fake.hold.set()
        ((channel, _, status, attempts, _, _),) = statuses(admin_conn)
        # A stopped worker gives its lease back (worker.py): due again at once, the note not recorded.
        assert (channel, status, attempts) == ("psa_note", "pending", 1)
        await drain_all(db, second, admin_conn)
    finally:
        await first.aclose()
        await second.aclose()
    (row,) = statuses(admin_conn)
    return row


def _only_note(notes: list[dict[str, Any]], has: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    (ours,) = [note for note in notes if has(note)]
    return ours


async def test_connectwise_crash_after_post_with_a_refused_search(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    slow_cw: LocalServer[SlowConnectWise],
) -> None:
    fake = slow_cw.app
    fake.reject_conditions = 403
    for number in range(120):  # more than one page of notes to read without the search
        fake.add_existing_note(4711, f"chatter {number}", detailDescriptionFlag=True)
    await connect("connectwise", cw_settings(slow_cw))
    row = await _crash_then_retry(db, admin_conn, team, delivery_settings, fake, "4711")
    ours = _only_note(fake.notes[4711], lambda note: "[relaydesk-" in note["text"])
    assert row[2:] == ("sent", 2, None, str(ours["id"]))
    assert len(fake.requests_to("/notes", "POST")) == 1
    assert any(r.query.get("page") == "1" for r in fake.requests_to("/notes", "GET"))


async def test_autotask_crash_after_post_with_paged_notes(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    slow_at: LocalServer[SlowAutotask],
) -> None:
    fake = slow_at.app
    fake.page_size = 2
    fake.next_host = "LOCALHOST"
    for number in range(3):  # ours lands on page two
        fake.add_existing_note(81234, f"note {number}")
    await connect(
        "autotask",
        {
            "username": at.USER,
            "secret": at.SECRET,
            "integration_code": at.INTEGRATION_CODE,
            "zone_lookup_url": fake.lookup_url(f"http://localhost:{slow_at.port}"),
        },
    )
    row = await _crash_then_retry(db, admin_conn, team, delivery_settings, fake, "81234")
    ours = _only_note(fake.notes[81234], lambda note: "[relaydesk-" in note["description"])
    assert row[2:] == ("sent", 2, None, str(ours["id"]))
    assert len(fake.requests_to("/Notes", "POST")) == 1
    assert any(r.query.get("page") == "2" for r in fake.requests_to("/Notes", "GET"))


async def test_halo_crash_after_post_with_discovered_auth(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    slow_halo: LocalServer[SlowHalo],
) -> None:
    fake = slow_halo.app
    fake.auth_path = "/identity/auth"
    for number in range(3):
        fake.add_existing_action(3021, f"chatter {number}")
    await connect(
        "halopsa",
        {"base_url": slow_halo.url, "client_id": halo.CLIENT_ID, "client_secret": halo.CLIENT_SECRET},
    )
    row = await _crash_then_retry(db, admin_conn, team, delivery_settings, fake, "3021")
    ours = _only_note(fake.actions, lambda action: "[relaydesk-" in action.get("note_html", ""))
    assert row[2:] == ("sent", 2, None, str(ours["id"]))
    assert len(fake.requests_to("/api/Actions", "POST")) == 1
    assert fake.requests_to("/api/Actions", "GET")[-1].query["includehtmlnote"] == "true"


async def test_autotask_unknown_api_user_is_a_readable_dead_delivery(
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    connect: Connect,
    delivery_settings: Settings,
    slow_at: LocalServer[SlowAutotask],
) -> None:
    await connect(
        "autotask",
        {
            "username": "nobody@acme.example",
            "secret": at.SECRET,
            "integration_code": at.INTEGRATION_CODE,
            "zone_lookup_url": slow_at.app.lookup_url(slow_at.url),
        },
    )
    admin_conn.execute(
        "INSERT INTO integration_settings (account_id, email_events) VALUES (%s, '[]')", (team.account.id,)
    )
    queue = DeliveryQueue(delivery_settings)
    try:
        session = await make_session(db, team.jane, ticket="81234")
        await escalate(db, team.jane, session)
        await drain_all(db, queue, admin_conn)
    finally:
        await queue.aclose()
    ((channel, _, status, attempts, error, _),) = statuses(admin_conn)
    assert (channel, status, attempts) == ("psa_note", "dead", 1)
    assert error == (
        "Autotask does not know the API user 'nobody@acme.example' (500); "
        "check the user name in Settings → Integrations"
    )
    assert len(slow_at.app.requests_to("zoneInformation")) == 1
