"""Settings from RELAYDESK_* environment variables; none is required for the demo."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_body_bytes: int = 1_000_000
    db_pool_size: int = 10

    worker_poll_seconds: float = 2.0
    run_worker: bool = Field(default=True, description="Run the job worker inside `serve` (off when separate "
                             "`relaydesk worker` processes do it).")

    llm_model: str | None = None
    llm_fast_model: str | None = None
    llm_base_url: str | None = None
    summary_deadline_seconds: float = 20.0

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
