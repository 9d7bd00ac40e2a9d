"""`relaydesk report escalations` over a real subprocess: the same figures as the API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx

from relaydesk.db.uow import Database
from tests.analytics.conftest import Team, known_dataset


def relaydesk(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relaydesk.cli", *args],
        env={**os.environ, "RELAYDESK_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_report_json_is_one_object_with_the_api_figures(
    database_url: str, db: Database, client: httpx.AsyncClient, team: Team
) -> None:
    await known_dataset(db, team)
    done = relaydesk(
        database_url, "report", "escalations", "--account", team.account.name,
        "--from", "2026-03-01", "--to", "2026-03-04", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    cli = json.loads(lines[0])
    api = (
        await client.get(
            "/api/v1/analytics/escalations",
            params={"from": "2026-03-01", "to": "2026-03-04"},
            headers=team.senior.headers,
        )
    ).json()
    for body in (cli, api):
        body.pop("generated_at")
    assert cli == api
    assert cli["time_to_pickup"]["p95_seconds"] == 528.0 and cli["conversion"] == 0.8


async def test_report_text_and_errors(database_url: str, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    text = relaydesk(
        database_url, "report", "escalations", "--account", str(team.account.id),
        "--from", "2026-03-01", "--to", "2026-03-04",
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert re.search(r"time to pickup\s+median\s+3 min\s+avg\s+4 min\s+p90\s+7 min 36 s", text.stdout)
    assert re.search(r"conversion\s+80%", text.stdout)
    assert "no baseline entered" in text.stdout and 'not "time saved"' in text.stdout

    bad_period = relaydesk(
        database_url, "report", "escalations", "--account", team.account.name, "--period", "5d"
    )
    assert bad_period.returncode == 1 and "Unknown period" in bad_period.stderr and bad_period.stdout == ""
    no_account = relaydesk(database_url, "report", "escalations", "--account", "Nobody", "--json")
    assert no_account.returncode == 1 and "No account" in no_account.stderr and no_account.stdout == ""
    # the default period works on an account with nothing in it
    empty = relaydesk(database_url, "report", "escalations", "--account", team.account.name, "--json")
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout)["period"]["days"] == 30
