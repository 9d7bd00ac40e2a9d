"""Settings from RELAYDESK_* environment variables; none is required for the demo."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from relaydesk.accounts.clientip import parse_proxies
from relaydesk.outbound.policy import parse_allow_list


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYDESK_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; empty starts the embedded PostgreSQL in data_dir."
    )
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("relaydesk", appauthor=False)))
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="Base URL people use to reach the server, for links in messages."
    )
    secret_key: str | None = Field(
        default=None, description="Key for encrypting secrets at rest; generated into data_dir when empty."
    )
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (set behind HTTPS).")
    session_days: int = 14
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_locked_delay_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Wait before checking a locked email's password from a new address.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For is believed (IPs or CIDR networks, comma "
        "separated). Empty: the connecting address is the client.",
    )
    max_body_bytes: int = 1_000_000
    # Files on steps (relaydesk/attachments): the upload routes alone take bodies this large.
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="Largest file one step attachment may be, in bytes."
    )
    attachment_session_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="Most bytes of attachments one session may hold."
    )
    db_pool_size: int = 10

    worker_poll_seconds: float = 2.0
    shutdown_grace_seconds: float = Field(
        default=20.0,
        ge=0,
        description="On SIGTERM/SIGINT, how long in-flight jobs may finish before their leases are released.",
    )
    metrics_token: str | None = Field(
        default=None, description="When set, /metrics wants `Authorization: Bearer <token>`."
    )
    log_format: str = Field(default="text", description="text (the default) or json: one object a line.")
    run_worker: bool = Field(
        default=True,
        description="Run the job worker inside `serve` (off when separate "
        "`relaydesk worker` processes do it).",
    )

    llm_model: str | None = None
    llm_fast_model: str | None = None
    llm_base_url: str | None = None
    summary_deadline_seconds: float = 20.0
    llm_max_prompt_chars: int = Field(
        default=60_000,
        ge=4_000,
        description="Longest material sent to a model, in characters; beyond it the oldest non-failed "
        "steps are left out and counted (the model run says what was cut).",
    )
    step_edit_minutes: int = Field(
        default=15, ge=0, description="How long after writing a step its author may edit or delete it."
    )
    summary_refresh_seconds: float = Field(
        default=5.0,
        ge=0,
        description="A finding added while an escalation waits refreshes its draft assessment once the "
        "findings stop for this long (one refresh for a burst).",
    )
    summary_model_calls: int = Field(
        default=8, ge=1, description="Model calls for summaries one worker process makes at once."
    )
    suggestions_per_user_per_hour: int = Field(
        default=20, ge=0, description="Model-made workspace suggestions per user per hour; beyond, offline."
    )

    # Live updates (invariant 6): a client further behind than the retention window gets `reset`.
    event_retention_hours: float = 72.0
    live_heartbeat_seconds: float = 15.0
    live_retry_ms: int = 2000
    live_queue_size: int = 256
    live_send_timeout_seconds: float = 30.0
    live_stream_max_seconds: float = 3600.0

    # Deliveries (invariant 8): email, Slack, Teams, signed webhooks, PSA notes.
    smtp_url: str | None = Field(
        default=None, description="smtp://user:pass@host:587?starttls=1 (deliveries/email.py); empty: none."
    )
    mail_from: str = "Relaydesk <relaydesk@localhost>"
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_backoff_seconds: float = Field(default=30.0, gt=0, description="First retry delay; doubles.")
    delivery_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    delivery_timeout_seconds: float = Field(default=15.0, gt=0, description="Per vendor request.")
    delivery_lease_seconds: float = Field(
        default=120.0, gt=0, description="A `sending` row older than this is retried (its worker died)."
    )
    delivery_batch: int = Field(default=32, ge=1, le=500)
    outbound_allow_hosts: str = Field(
        default="",
        description="Internal hosts outbound requests may reach (invariant 9), for an on-premises PSA: "
        "host, host:port, an IP or a CIDR network, separated by commas. Empty: public addresses only.",
    )
    psa_summary_wait_seconds: float = Field(
        default=45.0, ge=0, description="How long an escalation's PSA note waits for the finished summary."
    )

    @field_validator("outbound_allow_hosts")
    @classmethod
    def _valid_allow_list(cls, value: str) -> str:
        parse_allow_list(value)  # a typo fails at startup, not at the first send
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        parse_proxies(value)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _blank_smtp_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
