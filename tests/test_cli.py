"""The relaydesk command over a real subprocess: admin commands, their errors, migrate.

The demo seed is tested in tests/demo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from relaydesk.db.uow import Database


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        lines = self.stdout.splitlines()
        assert len(lines) == 1, f"expected exactly one line of JSON, got {self.stdout!r}"
        body = json.loads(lines[0])
        assert isinstance(body, dict)
        return body


def relaydesk(database_url: str, *args: str) -> Ran:
    env = {**os.environ, "RELAYDESK_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def _counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("accounts", "users", "sessions", "steps")
        }


async def test_account_user_token_round_trip(
    database_url: str, db: Database, client: httpx.AsyncClient
) -> None:
    account = relaydesk(database_url, "account", "create", "Acme IT", "--json")
    assert account.code == 0, account.stderr
    account_body = account.json()
    assert account_body["name"] == "Acme IT" and account_body["id"]

    # --account takes the exact name or the id
    by_name = relaydesk(
        database_url,
        "user", "add", "--account", "Acme IT", "--email", "ada@acme.example", "--name", "Ada Admin",
        "--role", "admin", "--password", "correct-horse-battery", "--json",
    )  # fmt: skip
    assert by_name.code == 0, by_name.stderr
    ada = by_name.json()
    assert ada["account_id"] == account_body["id"]
    assert (ada["email"], ada["name"], ada["role"]) == ("ada@acme.example", "Ada Admin", "admin")
    by_id = relaydesk(
        database_url,
        "user", "add", "--account", account_body["id"], "--email", "eve@acme.example", "--name", "Eve",
        "--role", "engineer", "--json",
    )  # fmt: skip
    assert by_id.code == 0, by_id.stderr
    assert by_id.json()["account_id"] == account_body["id"]

    token = relaydesk(
        database_url, "token", "create", "--email", "ada@acme.example", "--label", "PSA", "--json"
    )
    assert token.code == 0, token.stderr
    token_body = token.json()
    assert token_body["label"] == "PSA" and token_body["user_id"] == ada["id"]
    assert token_body["token"].startswith(token_body["prefix"])

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token_body['token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ada@acme.example" and me.json()["account"]["name"] == "Acme IT"

    human = relaydesk(database_url, "token", "create", "--email", "ada@acme.example")
    assert human.code == 0 and "will not be shown again" in human.stdout


async def test_errors_exit_non_zero_with_a_message_and_no_json(database_url: str, db: Database) -> None:
    assert relaydesk(database_url, "account", "create", "Acme IT", "--json").code == 0
    add = ["user", "add", "--account", "Acme IT", "--name", "Bo", "--json"]
    ok = relaydesk(database_url, *add, "--email", "bo@acme.example", "--role", "engineer")
    assert ok.code == 0, ok.stderr

    user = ["user", "add", "--name", "Cy", "--json"]
    cases = [
        ("duplicate email", [*add, "--email", "BO@acme.example", "--role", "engineer"], "already exists"),
        (
            "unknown account",
            [*user, "--account", "Nope Ltd", "--email", "x@acme.example", "--role", "engineer"],
            "No account with id or name 'Nope Ltd'",
        ),
        ("bad role", [*add, "--email", "cy@acme.example", "--role", "superuser"], "Unknown role 'superuser'"),
        (
            "short password",
            [*add, "--email", "di@acme.example", "--role", "viewer", "--password", "short"],
            "at least 8 characters",
        ),
        ("duplicate account", ["account", "create", "Acme IT", "--json"], "already exists"),
        (
            "unknown user for token",
            ["token", "create", "--email", "ghost@acme.example", "--json"],
            "No user with the email ghost@acme.example",
        ),
    ]
    for case, args, needle in cases:
        ran = relaydesk(database_url, *args)
        assert ran.code != 0, case
        assert ran.stdout == "", f"{case}: stdout must stay empty with --json, got {ran.stdout!r}"
        assert ran.stderr.startswith("error: ") and needle in ran.stderr, f"{case}: {ran.stderr!r}"
        assert "Traceback" not in ran.stderr, case

    assert _counts(database_url)["users"] == 1


def test_migrate_is_idempotent(database_url: str) -> None:
    for _ in range(2):
        ran = relaydesk(database_url, "migrate")
        assert ran.code == 0, ran.stderr
        assert "database is up to date" in ran.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
