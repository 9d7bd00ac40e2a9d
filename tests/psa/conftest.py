"""Fake PSA servers (one per test module, reset for each test) and HTTP clients for the PSA tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from relaydesk.psa import autotask

# The delivery tests' team, integrations and worker settings, for the PSA notes sent by the worker.
from tests.deliveries.conftest import _smtp, connect, delivery_settings, fake_smtp, team  # noqa: F401
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer, serving
from tests.psa.vendors import Clock, fresh


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
async def impatient() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.3) as client:
        yield client


@pytest.fixture(scope="module")
def cw_server() -> Iterator[LocalServer[cw.FakeConnectWise]]:
    with serving(cw.FakeConnectWise()) as server:
        yield server


@pytest.fixture
def cw_fake(cw_server: LocalServer[cw.FakeConnectWise]) -> LocalServer[cw.FakeConnectWise]:
    return fresh(cw_server)


@pytest.fixture(scope="module")
def at_server() -> Iterator[LocalServer[at.FakeAutotask]]:
    with serving(at.FakeAutotask()) as server:
        yield server


@pytest.fixture
def at_fake(at_server: LocalServer[at.FakeAutotask]) -> LocalServer[at.FakeAutotask]:
    autotask.clear_zone_cache()
    return fresh(at_server)


@pytest.fixture(scope="module")
def halo_clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def halo_server(halo_clock: Clock) -> Iterator[LocalServer[halo.FakeHalo]]:
    with serving(halo.FakeHalo(clock=halo_clock)) as server:
        yield server


@pytest.fixture
def halo_fake(halo_server: LocalServer[halo.FakeHalo], halo_clock: Clock) -> LocalServer[halo.FakeHalo]:
    halo_clock.now = 1000.0
    return fresh(halo_server)
