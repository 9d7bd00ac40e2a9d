"""Assessment accuracy in GET /api/v1/analytics/escalations, on a hand-computed fixture.

This account, all escalated today:
  h1 offline         answered yes
  h2 offline         answered no, P1 marked "this helped"
  h3 openai:gpt-4o   answered partly
  h4 offline         no answer, resolved with P1's fix → inferred yes
  h5 offline         claimed, no verdict, no similar sessions shown
  h6                 never claimed: not counted
Another account: a claimed escalation answered yes: never counted here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from relaydesk.db.uow import Database
from tests.feedback.conftest import Team, claimed_escalation, make_team


async def _answer(client: httpx.AsyncClient, team: Team, handoff_id: object, body: dict) -> None:
    done = await client.post(
        f"/api/v1/handoffs/{handoff_id}/assessment-feedback", json=body, headers=team.senior.headers
    )
    assert done.status_code == 200, done.text


async def test_accuracy_figures(db: Database, client: httpx.AsyncClient, team: Team) -> None:
    h1 = await claimed_escalation(db, client, team)
    await _answer(client, team, h1.id, {"cause": "yes"})
    h2 = await claimed_escalation(db, client, team)
    await _answer(client, team, h2.id, {"cause": "no", "helpful_session_ids": [str(team.past[0])]})
    h3 = await claimed_escalation(db, client, team, engine="openai:gpt-4o")
    await _answer(client, team, h3.id, {"cause": "partly"})
    h4 = await claimed_escalation(db, client, team)
    resolved = await client.post(
        f"/api/v1/sessions/{h4.session_id}/resolve",
        json={"resolution": "Raised the idle timeout on the firewall to 8 hours"},
        headers=team.senior.headers,
    )
    assert resolved.status_code == 200
    await claimed_escalation(db, client, team, with_similar=False)
    await claimed_escalation(db, client, team, claim=False)
    other = await make_team(db)
    foreign = await claimed_escalation(db, client, other)
    await _answer(client, other, foreign.id, {"cause": "yes"})

    report = await client.get(
        "/api/v1/analytics/escalations", params={"period": "7d"}, headers=team.senior.headers
    )
    assert report.status_code == 200, report.text
    got = report.json()["assessment"]
    assert got["claimed"] == 5
    assert got["answered"] == {"count": 3, "yes": 1, "partly": 1, "no": 1, "confirmed_share": 0.3333}
    assert got["inferred"] == {"count": 1, "yes": 1, "partly": 0, "no": 0, "confirmed_share": 1.0}
    assert got["no_verdict"] == 1
    assert got["by_engine"] == [
        {
            "engine": "offline",
            "answered": {"count": 2, "yes": 1, "partly": 0, "no": 1, "confirmed_share": 0.5},
            "inferred": {"count": 1, "yes": 1, "partly": 0, "no": 0, "confirmed_share": 1.0},
        },
        {
            "engine": "openai:gpt-4o",
            "answered": {"count": 1, "yes": 0, "partly": 1, "no": 0, "confirmed_share": 0.0},
            "inferred": {"count": 0, "yes": 0, "partly": 0, "no": 0, "confirmed_share": None},
        },
    ]
    assert got["similar"] == {"shown": 4, "helped": 1, "share": 0.25}
    today = datetime.now(UTC).date().isoformat()
    assert len(got["trend"]) == 7
    assert [d for d in got["trend"] if d["answered"] or d["inferred"]] == [
        {"date": today, "answered": 3, "answered_yes": 1, "inferred": 1, "inferred_yes": 1}
    ]

    theirs = (
        await client.get(
            "/api/v1/analytics/escalations", params={"period": "7d"}, headers=other.senior.headers
        )
    ).json()["assessment"]
    assert (theirs["claimed"], theirs["answered"]["yes"], theirs["similar"]["helped"]) == (1, 1, 0)


async def test_filters_narrow_the_accuracy(db: Database, client: httpx.AsyncClient, team: Team) -> None:
    h1 = await claimed_escalation(db, client, team)
    await _answer(client, team, h1.id, {"cause": "yes"})
    report = await client.get(
        "/api/v1/analytics/escalations",
        params={"period": "7d", "category": "Printing"},
        headers=team.senior.headers,
    )
    assert report.json()["assessment"]["claimed"] == 0
