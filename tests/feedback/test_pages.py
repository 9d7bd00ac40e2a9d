"""The claimer's workspace: "Was this the cause?" and "this helped" under the assessment, one click each."""

from __future__ import annotations

import os

import httpx

from relaydesk.db.uow import Database
from tests.feedback.conftest import Team, claimed_escalation
from tests.handoffs.conftest import SignIn, sign_in  # noqa: F401  (fixture)

SHOTS = os.environ.get("RELAYDESK_SCREENSHOTS")


async def test_claimer_answers_with_one_click_each(
    db: Database,
    client: httpx.AsyncClient,
    team: Team,
    sign_in: SignIn,  # noqa: F811
) -> None:
    handoff = await claimed_escalation(db, client, team)
    senior = await sign_in(team.senior)
    page = await senior.get(f"/sessions/{handoff.session_id}?briefing=1")
    assert page.status_code == 200
    assert "Was this the cause?" in page.text and "This helped" in page.text
    assert 'aria-pressed="true"' not in page.text

    done = await senior.post(f"/handoffs/{handoff.id}/assessment-feedback", {"cause": "partly"})
    assert done.status_code == 303 and done.headers["location"].endswith("?briefing=1")
    done = await senior.post(
        f"/handoffs/{handoff.id}/assessment-feedback", {"helpful": str(team.past[1]), "on": "1"}
    )
    assert done.status_code == 303
    api = (
        await client.get(f"/api/v1/handoffs/{handoff.id}/assessment-feedback", headers=team.senior.headers)
    ).json()
    assert api["cause"] == "partly" and [h["session_id"] for h in api["helpful"]] == [str(team.past[1])]
    page = await senior.get(f"/sessions/{handoff.session_id}?briefing=1")
    # "Partly" and P2's "This helped", in the briefing panel and again in the Context dialog
    assert page.text.count('aria-pressed="true"') == 4
    assert "Answered partly." in page.text

    await senior.post(
        f"/handoffs/{handoff.id}/assessment-feedback", {"helpful": str(team.past[1]), "on": "0"}
    )
    api = (
        await client.get(f"/api/v1/handoffs/{handoff.id}/assessment-feedback", headers=team.senior.headers)
    ).json()
    assert api["helpful"] == []


async def test_only_the_claimer_sees_the_buttons(
    db: Database,
    client: httpx.AsyncClient,
    team: Team,
    sign_in: SignIn,  # noqa: F811
) -> None:
    handoff = await claimed_escalation(db, client, team)
    junior = await sign_in(team.junior)
    page = await junior.get(f"/sessions/{handoff.session_id}?briefing=1")
    assert page.status_code == 200 and "Was this the cause?" not in page.text
    refused = await junior.post(f"/handoffs/{handoff.id}/assessment-feedback", {"cause": "yes"})
    assert refused.status_code == 403
