"""The PSA client for an integration's kind: the one module that knows every vendor module (they
import psa/base.py for the protocol and configs, so the choice cannot live there)."""

from __future__ import annotations

import httpx

from relaydesk.psa.autotask import AutotaskClient
from relaydesk.psa.base import AutotaskConfig, ConnectWiseConfig, HaloPsaConfig, PsaClient, PsaConfig, PsaKind
from relaydesk.psa.connectwise import ConnectWiseClient
from relaydesk.psa.halopsa import HaloPsaClient


def make_psa_client(kind: PsaKind | str, config: PsaConfig, *, client: httpx.AsyncClient) -> PsaClient:
    """The client for `kind`, sharing the caller's `httpx.AsyncClient` (its timeouts apply)."""
    if kind == "connectwise" and isinstance(config, ConnectWiseConfig):
        return ConnectWiseClient(config, client=client)
    if kind == "autotask" and isinstance(config, AutotaskConfig):
        return AutotaskClient(config, client=client)
    if kind == "halopsa" and isinstance(config, HaloPsaConfig):
        return HaloPsaClient(config, client=client)
    raise ValueError(f"no PSA client for kind {kind!r} with {type(config).__name__}")
