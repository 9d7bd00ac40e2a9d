"""Per-technician figures, their links and the CSV export, against the hand-computed dataset."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from relaydesk.analytics import export
from relaydesk.db.uow import Database
from tests.analytics.conftest import DAY1, Team, add_escalation, known_dataset, make_team, s
from tests.analytics.test_pages import RANGE as RANGE_PAGE
from tests.analytics.test_pages import signed_in
from tests.factories import make_user

URL = "/api/v1/analytics/escalations"
RANGE = {"from": "2026-03-01", "to": "2026-03-04"}


async def test_each_technician_on_the_known_dataset(
    client: httpx.AsyncClient, db: Database, team: Team
) -> None:
    await known_dataset(db, team)
    # another account's escalations, by people with the same names, are never counted
    other = await make_team(db, name="Elsewhere")
    await add_escalation(
        db, other.junior, created_at=DAY1 + timedelta(hours=9), claimer=other.senior,
        claimed_at=DAY1 + timedelta(hours=9, seconds=5), steps=[(other.senior, DAY1 + timedelta(hours=10))],
    )  # fmt: skip

    body = (await client.get(URL, params=RANGE, headers=team.senior.headers)).json()
    assert body["counts"]["escalations"] == 7  # the existing fields stay
    by_name = {t["name"]: t for t in body["technicians"]}
    # Jamie raised all seven (the park is not an escalation); Sam picked up 60/180/600 s with first
    # actions 30 and 150 s (one without); Kim 120/240 s with 90 and 300 s.
    assert list(by_name) == ["Jamie Junior", "Kim Senior", "Sam Senior"]  # by name, only people with a figure
    jamie, kim, sam = by_name["Jamie Junior"], by_name["Kim Senior"], by_name["Sam Senior"]
    assert (jamie["escalations_made"], jamie["pickups"], jamie["median_pickup_seconds"]) == (7, 0, None)
    assert jamie["median_first_action_seconds"] is None and jamie["first_actions"] == 0
    assert (sam["escalations_made"], sam["pickups"], sam["first_actions"]) == (0, 3, 2)
    assert sam["median_pickup_seconds"] == pytest.approx(180)
    assert sam["median_first_action_seconds"] == pytest.approx(90)
    assert (kim["pickups"], kim["first_actions"]) == (2, 2)
    assert kim["median_pickup_seconds"] == pytest.approx(180)
    assert kim["median_first_action_seconds"] == pytest.approx(195)

    made = urlsplit(jamie["made_link"])
    assert made.path == "/sessions/all"
    assert parse_qs(made.query) == {
        "owner": [str(team.junior.user.id)], "escalated": ["yes"],
        "from": ["2026-03-01"], "to": ["2026-03-04"],
    }  # fmt: skip
    assert parse_qs(urlsplit(sam["pickups_link"]).query) == {
        "claimed_by": [str(team.senior.user.id)], "from": ["2026-03-01"], "to": ["2026-03-04"],
    }  # fmt: skip

    # the filters narrow the table too: only what Kim holds
    narrowed = await client.get(
        URL, params={**RANGE, "claimer": str(team.senior2.user.id)}, headers=team.senior.headers
    )
    assert {t["name"]: (t["escalations_made"], t["pickups"]) for t in narrowed.json()["technicians"]} == {
        "Jamie Junior": (2, 0), "Kim Senior": (0, 2),
    }  # fmt: skip


async def test_csv_export(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    # a name a spreadsheet would run as a formula, with a comma and a quote in it
    sly = await make_user(db, team.account, name='=HYPERLINK("http://x.example","Lee, "Sam"")')
    await add_escalation(db, sly, created_at=DAY1 + timedelta(hours=20), claimer=team.senior2,
                         claimed_at=DAY1 + timedelta(hours=20) + s(30))  # fmt: skip

    response = await client.get(URL + ".csv", params=RANGE, headers=team.senior.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="escalations-by-technician-2026-03-01-to-2026-03-04.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(export.HEADER)
    assert len(rows) == 1 + 4  # a header and one row per technician
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Sam Senior"][1:] == [
        str(team.senior.user.id),
        "0",
        "3",
        "180.0",
        "2",
        "90.0",
        "2026-03-01",
        "2026-03-04",
    ]
    # quoted by the csv module, and prefixed so it stays text
    assert by_name['\'=HYPERLINK("http://x.example","Lee, "Sam"")'][2] == "1"
    assert '"\'=HYPERLINK(""http://x.example"",""Lee, ""Sam"""")"' in response.text
    assert by_name["Kim Senior"][3] == "3"  # Kim picked that one up too

    assert (await client.get(URL + ".csv", params=RANGE, headers=team.viewer.headers)).status_code == 403
    bad = await client.get(URL + ".csv", params={"period": "5d"}, headers=team.senior.headers)
    assert bad.status_code == 422


def test_formula_cells_are_prefixed() -> None:
    assert [export.safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "Sam", None, 0)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "Sam", "", "0",
    ]  # fmt: skip


async def test_the_page_table_links_each_figure_and_the_csv(app: FastAPI, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    async with signed_in(app, team.junior) as browser:
        page = await browser.get(RANGE_PAGE + "&client=Acme")
    assert page.status_code == 200, page.text
    section = page.text.split('id="technicians"', 1)[1].split("</section>", 1)[0]
    sam, kim = team.senior.user.id, team.senior2.user.id
    dates = "from=2026-03-01&amp;to=2026-03-04"
    assert f'href="/sessions/all?owner={team.junior.user.id}&amp;escalated=yes&amp;{dates}"' in section
    # Sam: 3 pickups, median 3 min to pickup, 1 min 30 s to first action; each links his pickups
    assert section.count(f'href="/sessions/all?claimed_by={sam}&amp;{dates}"') == 3
    assert ">3 min<" in section and ">1 min 30 s<" in section and ">3 min 15 s<" in section  # Kim: 195 s
    assert section.count(f'href="/sessions/all?claimed_by={kim}&amp;{dates}"') == 3
    # the export of the same period and filters
    assert (
        'href="/api/v1/analytics/escalations.csv?from=2026-03-01&amp;to=2026-03-04&amp;client=Acme"'
        in section
    )
