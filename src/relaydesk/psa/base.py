"""The one protocol every PSA client speaks, and the settings each vendor needs.

A PSA note is a delivery like any other (invariant 8): the worker calls
`add_note_once`, which first asks `find_note` whether an earlier attempt got
through before a crash or a timeout, so a retry never posts the note twice.
Every vendor error comes out as `DeliveryFailed`, mapped in the vendor's module.

Secrets are `repr=False`, so a logged config shows no key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from relaydesk.outbound.outcome import DeliveryFailed

PsaKind = Literal["connectwise", "autotask", "halopsa"]

CHECK_KEYS = "check the API keys in Settings → Integrations"


@dataclass(frozen=True, slots=True)
class NoteRef:
    """A note in the PSA; `existing` when `add_note_once` found it instead of posting."""

    external_id: str
    existing: bool = False


@dataclass(frozen=True, slots=True)
class TicketInfo:
    ticket_id: str
    summary: str
    company: str | None = None
    priority: str | None = None
    details: str | None = None


@runtime_checkable
class PsaClient(Protocol):
    vendor: str  # "ConnectWise", for messages

    async def add_note(self, ticket_id: str, text: str, *, internal: bool, marker: str) -> NoteRef:
        """Post `text` as a ticket note, with `marker` written into it for `find_note`."""
        ...

    async def find_note(self, ticket_id: str, marker: str) -> NoteRef | None:
        """The ticket's note that carries `marker`, if an earlier attempt posted one."""
        ...

    async def get_ticket(self, ticket_id: str) -> TicketInfo | None:
        """The ticket, or None when the PSA does not know the id."""
        ...


async def add_note_once(
    client: PsaClient, ticket_id: str, text: str, *, internal: bool, marker: str
) -> NoteRef:
    """Post the note unless a note with `marker` is already on the ticket."""
    found = await client.find_note(ticket_id, marker)
    if found is not None:
        return NoteRef(found.external_id, existing=True)
    return await client.add_note(ticket_id, text, internal=internal, marker=marker)


_MARKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,127}")


def marker_token(marker: str) -> str:
    """The marker as written into a note; `find_note` matches this exact token.

    Brackets keep `x:1` from matching inside `x:10`. The narrow alphabet needs no quoting in
    ConnectWise conditions or HTML (a `_` is a LIKE wildcard there, which only widens the
    server-side filter; the exact token is checked on our side)."""
    if not _MARKER.fullmatch(marker):
        raise ValueError("a PSA note marker is 1-128 letters, digits and : . _ -")
    return f"[{marker}]"


def with_marker(text: str, marker: str) -> str:
    """The note text with the marker token as its last line."""
    return f"{text.rstrip()}\n\n{marker_token(marker)}"


def numeric_ticket_id(vendor: str, ticket_id: str) -> int:
    """All three PSAs number tickets; anything else would end up in a URL path."""
    cleaned = ticket_id.strip().removeprefix("#")
    if not cleaned.isascii() or not cleaned.isdigit() or int(cleaned) <= 0:
        raise DeliveryFailed(
            f"{vendor} ticket ids are numbers; {ticket_id[:40]!r} is not one",
            retryable=False,
        )
    return int(cleaned)


@dataclass(frozen=True, slots=True)
class ConnectWiseConfig:
    """ConnectWise PSA (Manage): `site` is the API host, e.g. `api-na.myconnectwise.net`.

    A site without a scheme means https; tests pass `http://127.0.0.1:port`.
    """

    site: str
    company_id: str
    public_key: str
    private_key: str = field(repr=False)
    client_id: str = field(repr=False)
    codebase: str = "v4_6_release"

    @property
    def api_base(self) -> str:
        site = self.site.strip().rstrip("/")
        if "://" not in site:
            site = "https://" + site
        return f"{site}/{self.codebase.strip('/')}/apis/3.0/"


@dataclass(frozen=True, slots=True)
class AutotaskConfig:
    """Autotask PSA REST v1.0. `note_type` and the `publish_*` values are the tenant's picklist
    values for TicketNotes (see V1.0/TicketNotes/entityInformation/fields); the defaults are the
    stock ones (note type 1; publish 1 "All Autotask Users", 2 "Internal Project Team")."""

    username: str
    secret: str = field(repr=False)
    integration_code: str = field(repr=False)
    zone_lookup_url: str = "https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation"
    note_type: int = 1
    publish_internal: int = 2
    publish_public: int = 1


@dataclass(frozen=True, slots=True)
class HaloPsaConfig:
    """HaloPSA: `auth_url` is the authorisation server (`https://x.halopsa.com/auth`) and
    `api_url` the resource server (`https://x.halopsa.com/api`). `tenant` only for hosted
    instances that ask for it. Outcomes are the names of the tenant's action types."""

    auth_url: str
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    tenant: str | None = None
    internal_outcome: str = "Private Note"
    public_outcome: str = "Public Note"
    refresh_margin: float = 60.0  # renew the token this many seconds before it expires

    @classmethod
    def for_instance(
        cls, base_url: str, client_id: str, client_secret: str, *, tenant: str | None = None
    ) -> HaloPsaConfig:
        """The usual layout: `{base}/auth` and `{base}/api` on one host."""
        base = base_url.strip().rstrip("/")
        return cls(f"{base}/auth", f"{base}/api", client_id, client_secret, tenant=tenant)


PsaConfig = ConnectWiseConfig | AutotaskConfig | HaloPsaConfig
