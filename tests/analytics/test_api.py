"""The analytics JSON API: the report's shape and figures, roles, account scope, 422s, the baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from relaydesk.db.uow import Database
from tests.analytics.conftest import DAY1, Team, add_escalation, known_dataset, make_team, s

URL = "/api/v1/analytics/escalations"
RANGE = {"from": "2026-03-01", "to": "2026-03-04"}


async def test_report_figures_over_http(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    response = await client.get(URL, params=RANGE, headers=team.junior.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"]["escalations"] == 7 and body["counts"]["claimed_with_action"] == 4
    assert body["time_to_pickup"] == {
        "measured": 5,
        "avg_seconds": 240.0,
        "median_seconds": 180.0,
        "p90_seconds": 456.0,
        "p95_seconds": 528.0,
    }
    assert body["time_to_first_action"]["median_seconds"] == 120.0
    assert body["conversion"] == 0.8
    assert body["period"] == {
        "label": "custom",
        "start": "2026-03-01",
        "end": "2026-03-04",
        "days": 4,
        "timezone": "UTC",
    }
    assert [d["escalations"] for d in body["trend"]] == [0, 3, 4, 0]
    assert body["trend"][0]["median_pickup_seconds"] is None
    assert "time saved" in body["metric_definition"]
    assert body["minutes_recovered"] is None and body["baseline"] is None


async def test_metric_definition_in_every_response(
    client: httpx.AsyncClient, db: Database, team: Team
) -> None:
    cases = [({"period": "7d"}, 7), ({"period": "30d"}, 30), ({"period": "90d"}, 90), ({}, 30), (RANGE, 4)]
    for params, days in cases:
        body = (await client.get(URL, params=params, headers=team.senior.headers)).json()
        assert body["metric_definition"].endswith('They are not "time saved".'), params
        assert body["period"]["days"] == days and len(body["trend"]) == days


async def test_roles(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    viewer = await client.get(URL, headers=team.viewer.headers)
    assert viewer.status_code == 403 and "viewer" in viewer.json()["detail"]
    for member in (team.junior, team.admin, team.owner):
        assert (await client.get(URL, headers=member.headers)).status_code == 200
    assert (await client.get(URL)).status_code == 401


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"period": "5d"}, "Unknown period"),
        ({"period": "7"}, "Unknown period"),
        ({"from": "2026-03-05", "to": "2026-03-04"}, "is after"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "over a year"),
        ({"to": "2026-01-02"}, "needs a 'from'"),
        ({"period": "7d", "from": "2026-03-01"}, "not both"),
        ({"from": "yesterday"}, "date"),
        ({"escalator": "not-a-uuid"}, "UUID"),
    ],
)
async def test_422(
    client: httpx.AsyncClient, db: Database, team: Team, params: dict[str, str], says: str
) -> None:
    response = await client.get(URL, params=params, headers=team.senior.headers)
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]


async def test_account_scope(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    other = await make_team(db, name="Other MSP")
    t = DAY1 + timedelta(hours=10)
    await add_escalation(db, other.junior, created_at=t, claimer=other.senior, claimed_at=t + s(5))
    mine = (await client.get(URL, params=RANGE, headers=team.senior.headers)).json()
    theirs = (await client.get(URL, params=RANGE, headers=other.senior.headers)).json()
    assert mine["counts"]["escalations"] == 7 and theirs["counts"]["escalations"] == 1
    # another account's claimer as a filter: nothing, not their data
    filtered = await client.get(
        URL, params={**RANGE, "claimer": str(other.senior.user.id)}, headers=team.senior.headers
    )
    assert filtered.json()["counts"]["escalations"] == 0


async def test_baseline_round_trip(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    assert (await client.get("/api/v1/analytics/baseline", headers=team.senior.headers)).json() is None
    body = {"baseline_handoff_seconds": 300, "measured_on": "2026-02-01"}
    refused = await client.put("/api/v1/analytics/baseline", json=body, headers=team.senior.headers)
    assert refused.status_code == 403
    saved = await client.put("/api/v1/analytics/baseline", json=body, headers=team.owner.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["baseline_handoff_seconds"] == 300 and saved.json()["set_by_id"] == str(
        team.owner.user.id
    )

    report = (await client.get(URL, params=RANGE, headers=team.senior.headers)).json()
    recovered = report["minutes_recovered"]
    assert recovered["estimate"] is True and recovered["per_handoff_minutes"] == 3.0
    assert recovered["total_minutes"] == 12.0 and recovered["handoffs"] == 4
    assert "Estimate against your baseline of 5 min" in recovered["label"]
    assert report["baseline"]["measured_on"] == "2026-02-01"

    # another account sees no baseline
    other = await make_team(db, name="Other MSP")
    assert (await client.get(URL, headers=other.senior.headers)).json()["minutes_recovered"] is None

    # admins may change it; it is one row per account
    again = {"baseline_handoff_seconds": 420, "measured_on": "2026-02-10"}
    assert (
        await client.put("/api/v1/analytics/baseline", json=again, headers=team.admin.headers)
    ).status_code == 200
    assert (await client.get("/api/v1/analytics/baseline", headers=team.senior.headers)).json()[
        "baseline_handoff_seconds"
    ] == 420
    assert (await client.delete("/api/v1/analytics/baseline", headers=team.senior.headers)).status_code == 403
    assert (await client.delete("/api/v1/analytics/baseline", headers=team.owner.headers)).status_code == 204
    after = (await client.get(URL, params=RANGE, headers=team.senior.headers)).json()
    assert after["minutes_recovered"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"baseline_handoff_seconds": 0, "measured_on": "2026-02-01"},
        {"baseline_handoff_seconds": 86_401, "measured_on": "2026-02-01"},
        {"baseline_handoff_seconds": 300, "measured_on": "not a date"},
        {"baseline_handoff_seconds": 300},
        {
            "baseline_handoff_seconds": 300,
            "measured_on": (datetime.now(UTC).date() + timedelta(days=2)).isoformat(),
        },
    ],
)
async def test_bad_baseline_is_422_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, team: Team, body: dict[str, object]
) -> None:
    response = await client.put("/api/v1/analytics/baseline", json=body, headers=team.owner.headers)
    assert response.status_code == 422, response.text
    assert (await client.get("/api/v1/analytics/baseline", headers=team.owner.headers)).json() is None
