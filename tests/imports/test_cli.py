"""`relaydesk import history` over a real subprocess: one JSON object, dry runs, and a header not ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from relaydesk.db.uow import Database
from tests.factories import make_account, make_user
from tests.imports.test_file_import import CSV


def relaydesk(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args],
        env={**os.environ, "RELAYDESK_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_history_json_dry_run_then_for_real(
    database_url: str, db: Database, admin_conn: psycopg.Connection, tmp_path: Path
) -> None:
    account = await make_account(db, name="Gamma IT")
    await make_user(db, account, role="owner")
    path = tmp_path / "history.csv"
    path.write_text(CSV, encoding="utf-8")

    dry = relaydesk(
        database_url, "import", "history", "--account", "Gamma IT", str(path), "--dry-run", "--json"
    )
    assert dry.returncode == 0, dry.stderr
    assert len(dry.stdout.splitlines()) == 1
    body = json.loads(dry.stdout)
    assert (body["dry_run"], body["imported"], body["skipped"]) == (True, 2, 1)
    assert [e["row"] for e in body["errors"]] == [3, 4]
    count = admin_conn.execute("SELECT count(*) FROM sessions WHERE account_id = %s", (account.id,))
    assert count.fetchone() == (0,)

    done = relaydesk(database_url, "import", "history", "--account", str(account.id), str(path), "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert (body["dry_run"], body["imported"], body["skipped"], body["source"]) == (False, 2, 1, "csv")
    assert done.stderr == ""  # no progress bar with --json (nor off a terminal)

    text = relaydesk(database_url, "import", "history", "--account", "Gamma IT", str(path))
    assert text.returncode == 0, text.stderr
    assert "imported 0, skipped 3 already imported, 2 errors" in text.stdout
    assert "row 3: ticket_id is empty" in text.stdout


async def test_history_refuses_a_header_that_is_not_ours(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    account = await make_account(db, name="Delta IT")
    await make_user(db, account, role="owner")
    path = tmp_path / "export.csv"
    path.write_text("Summary,Status\nVPN,Closed\n", encoding="utf-8")
    done = relaydesk(database_url, "import", "history", "--account", "Delta IT", str(path), "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert "Expected columns: problem, steps or notes, resolution" in done.stderr
    odd = tmp_path / "export.xlsx"
    odd.write_bytes(b"PK")
    done = relaydesk(database_url, "import", "history", "--account", "Delta IT", str(odd))
    assert done.returncode == 2 and "name it .csv or .jsonl" in done.stderr
    nobody = relaydesk(database_url, "import", "history", "--account", "Nobody", str(path))
    assert nobody.returncode == 1 and "No account" in nobody.stderr
