"""What the PSA tests share: the note they post, configs pointing at the fakes, a test clock."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

import httpx

from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.psa.base import AutotaskConfig, ConnectWiseConfig, HaloPsaConfig
from relaydesk.psa.halopsa import HaloPsaClient
from tests.fakes import autotask as at
from tests.fakes import connectwise as cw
from tests.fakes import halopsa as halo
from tests.fakes.server import LocalServer

MARKER = "relaydesk:delivery:0b7c2d"
NOTE = "Escalated to the network team.\nLikely cause: MTU mismatch on the new firewall."

Served = TypeVar("Served", bound=LocalServer[Any])


def fresh(server: Served) -> Served:
    server.app.reset()
    server.start()
    return server


def secret_free(failure: DeliveryFailed, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in failure.message


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cw_config(server: LocalServer[Any], **changes: str) -> ConnectWiseConfig:
    config = ConnectWiseConfig(
        site=server.url,
        company_id=cw.COMPANY,
        public_key=cw.PUBLIC_KEY,
        private_key=cw.PRIVATE_KEY,
        client_id=cw.CLIENT_ID,
    )
    return replace(config, **changes)


def at_config(
    server: LocalServer[at.FakeAutotask], *, host: str | None = None, **changes: Any
) -> AutotaskConfig:
    """`host` serves the zone lookup under another name for the same server (e.g. `localhost`)."""
    url = server.url if host is None else f"http://{host}:{server.port}"
    config = AutotaskConfig(
        username=at.USER,
        secret=at.SECRET,
        integration_code=at.INTEGRATION_CODE,
        zone_lookup_url=server.app.lookup_url(url),
    )
    return replace(config, **changes)


def halo_client(
    server: LocalServer[halo.FakeHalo], http: httpx.AsyncClient, clock: Clock, **changes: Any
) -> HaloPsaClient:
    config = replace(HaloPsaConfig.for_instance(server.url, halo.CLIENT_ID, halo.CLIENT_SECRET), **changes)
    return HaloPsaClient(config, client=http, clock=clock)
