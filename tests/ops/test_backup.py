"""`relaydesk backup` / `restore`: a round trip through pg_dump/pg_restore (the bundled PostgreSQL 18
client tools), the secret key with it."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from relaydesk.db.uow import Database
from relaydesk.db.urls import with_database
from relaydesk.ops import backup
from relaydesk.settings import Settings
from tests.factories import make_account, make_session, make_user


@pytest.fixture
def empty_url(server_url: str) -> Iterator[str]:
    name = f"relaydesk_restore_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_backup_and_restore_round_trip_with_the_generated_secret_key(
    db: Database, database_url: str, empty_url: str, tmp_path: Path
) -> None:
    account = await make_account(db, name="Round Trip MSP")
    member = await make_user(db, account, password=None)
    session = await make_session(db, member)
    source = Settings(database_url=database_url, data_dir=tmp_path / "source")
    key = source.resolved_secret_key()  # generated into the data directory
    file = tmp_path / "relaydesk.backup"

    note = backup.dump(source, file)
    assert "secret key included" in note
    with tarfile.open(file) as archive:
        assert set(archive.getnames()) == {"manifest.json", "database.dump", "secret.key"}

    target = Settings(database_url=empty_url, data_dir=tmp_path / "target")
    note = backup.load(target, file)
    assert "restored" in note
    assert (tmp_path / "target" / "secret.key").read_text() == key
    with psycopg.connect(empty_url) as conn:
        assert conn.execute("SELECT name FROM accounts WHERE id = %s", (account.id,)).fetchone() == (
            "Round Trip MSP",
        )
        assert conn.execute("SELECT count(*) FROM sessions WHERE id = %s", (session.id,)).fetchone() == (1,)
        # Row-level security came along: the policies and RLS flags are in the dump.
        (enabled,) = conn.execute("SELECT relrowsecurity FROM pg_class WHERE relname = 'sessions'").fetchone()
        assert enabled is True
    # Restoring again over the restored database replaces it (pg_restore --clean), no error.
    backup.load(target, file)


async def test_a_key_from_the_environment_is_named_not_copied(
    db: Database, database_url: str, empty_url: str, tmp_path: Path
) -> None:
    source = Settings(database_url=database_url, data_dir=tmp_path / "s", secret_key="from-the-vault")
    file = tmp_path / "b.backup"
    assert "RELAYDESK_SECRET_KEY" in backup.dump(source, file)
    with tarfile.open(file) as archive:
        assert "secret.key" not in archive.getnames()
    wrong = Settings(database_url=empty_url, data_dir=tmp_path / "t", secret_key="another-key")
    with pytest.raises(backup.BackupError, match="RELAYDESK_SECRET_KEY"):
        backup.load(wrong, file)
    right = wrong.model_copy(update={"secret_key": "from-the-vault"})
    assert "restored" in backup.load(right, file)
    with pytest.raises(backup.BackupError, match="not a Relaydesk backup"):
        (tmp_path / "junk").write_text("junk")
        backup.load(right, tmp_path / "junk")
