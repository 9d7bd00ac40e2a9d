"""The send step of a delivery: one claimed message out on its channel, with no transaction open.

`DeliveryQueue` (jobs.py) claims and records; this module only talks to the outside world, through
the channel clients (email.py, slack.py, teams.py, webhook.py and the PSA clients) and the message
builders (messages.py).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from relaydesk.deliveries import messages, sources
from relaydesk.deliveries.email import SmtpConfig, send_email
from relaydesk.deliveries.slack import post_slack
from relaydesk.deliveries.teams import post_teams
from relaydesk.deliveries.webhook import post_webhook
from relaydesk.integrations import service as integrations
from relaydesk.outbound.outcome import DeliveryFailed, Sent
from relaydesk.psa.base import PsaClient, add_note_once
from relaydesk.psa.clients import make_psa_client
from relaydesk.settings import Settings

PSA_CLIENT_CACHE = 64  # HaloPSA tokens live in the client: keep clients across deliveries


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: everything the send needs, copied out of the claim's transaction."""

    id: uuid.UUID
    account_id: uuid.UUID
    channel: str
    event: str
    target: str
    key: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    handoff_id: uuid.UUID | None
    session_id: uuid.UUID | None
    integration_id: uuid.UUID | None
    integration_kind: str | None
    integration_version: datetime | None
    config: dict[str, Any]
    secrets: dict[str, str]
    summary: sources.SummaryView | None


class ChannelSender:
    """Sends claimed deliveries. It keeps what outlives one send: the SMTP settings, the HTTP
    client (from the queue) and the PSA clients."""

    def __init__(self, settings: Settings, http: Callable[[], httpx.AsyncClient]) -> None:
        self.settings = settings
        self.base_url = settings.base_url()
        self._http = http
        self._psa: OrderedDict[tuple[uuid.UUID, datetime | None], PsaClient] = OrderedDict()
        self._smtp: SmtpConfig | None = None
        self._smtp_problem = "No SMTP server is set up (RELAYDESK_SMTP_URL is empty), so email cannot be sent"
        if settings.smtp_url:
            try:
                self._smtp = SmtpConfig.from_url(settings.smtp_url)
            except ValueError as exc:
                self._smtp_problem = f"RELAYDESK_SMTP_URL is invalid: {exc}"

    async def send(
        self, job: Job, before_data: Callable[[], Awaitable[None]] | None = None
    ) -> tuple[Sent, dict[str, Any]]:
        """Send one claimed delivery on its channel; (what the far side said, what the record shows).
        `before_data` runs just before an email's DATA (the queue commits `data_attempt` there)."""
        cause = job.summary.likely_cause if job.summary and job.summary.ready else None
        shown = {"likely_cause": cause} if cause else {}
        if job.channel == "email":
            if self._smtp is None:
                raise DeliveryFailed(self._smtp_problem, retryable=False)
            mail = messages.email(job.payload, base_url=self.base_url, to_name=job.payload.get("to_name"))

            domain = self.settings.mail_from.rpartition("@")[2].strip(" >") or "relaydesk.invalid"
            sent = await send_email(
                self._smtp,
                sender=self.settings.mail_from,
                to=job.target,
                subject=mail.subject,
                text=mail.text,
                html=mail.html,
                # Stable across retries, so a resend after a crash is recognisably the same message.
                message_id=f"{job.id.hex}.relaydesk@{domain}",
                before_data=before_data or _nothing,
            )
            return sent, {}
        if job.channel == "slack":
            message = messages.slack(job.payload, base_url=self.base_url, likely_cause=cause)
            return await post_slack(job.secrets["url"], message, client=self._http()), shown
        if job.channel == "teams":
            card = messages.teams(job.payload, base_url=self.base_url, likely_cause=cause)
            return await post_teams(job.secrets["url"], card, client=self._http()), shown
        if job.channel == "webhook":
            event_type, data = messages.webhook(job.payload, base_url=self.base_url, likely_cause=cause)
            sent = await post_webhook(
                job.secrets["url"],
                job.secrets["signing_secret"],
                msg_id=job.key,  # the same on every retry: receivers dedupe on webhook-id
                event_type=event_type,
                payload=data,
                client=self._http(),
            )
            return sent, shown
        if job.channel == "psa_note":
            client = self._psa_client(job)
            note = messages.psa_note(job.payload, base_url=self.base_url, summary=job.summary)
            ref = await add_note_once(
                client,
                str(job.payload.get("ticket") or ""),
                note,
                internal=True,
                marker=f"relaydesk-{job.id.hex}",
            )
            detail = "found the note an earlier attempt posted" if ref.existing else "added the note"
            summary_state = job.summary.state if job.summary else None
            return Sent(external_id=ref.external_id, detail=detail), {"summary_state": summary_state}
        raise DeliveryFailed(f"Unknown channel {job.channel}", retryable=False)

    def _psa_client(self, job: Job) -> PsaClient:
        """One client per integration version, kept: a HaloPSA token lives in its client."""
        assert job.integration_id and job.integration_kind
        key = (job.integration_id, job.integration_version)
        client = self._psa.get(key)
        if client is None:
            try:
                config = integrations.psa_config(job.integration_kind, job.config, job.secrets)
            except (KeyError, ValueError) as exc:
                raise DeliveryFailed(
                    f"The PSA settings are incomplete ({exc}); complete them in Settings → Integrations",
                    retryable=False,
                ) from None
            client = make_psa_client(job.integration_kind, config, client=self._http())
            self._psa[key] = client
            while len(self._psa) > PSA_CLIENT_CACHE:
                self._psa.popitem(last=False)
        return client
