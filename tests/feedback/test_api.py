"""POST /api/v1/handoffs/{id}/assessment-feedback: the three answers, who may answer, until resolve."""

from __future__ import annotations

import uuid

import httpx

from relaydesk.db.uow import Database
from tests.factories import make_account, make_user
from tests.feedback.conftest import Team, claimed_escalation


def url(handoff_id: uuid.UUID) -> str:
    return f"/api/v1/handoffs/{handoff_id}/assessment-feedback"


async def test_the_three_answers_changeable_until_resolve(
    db: Database, client: httpx.AsyncClient, team: Team
) -> None:
    handoff = await claimed_escalation(db, client, team)
    for answer in ("yes", "partly", "no"):
        done = await client.post(url(handoff.id), json={"cause": answer}, headers=team.senior.headers)
        assert done.status_code == 200, done.text
        body = done.json()
        assert (body["cause"], body["inferred"], body["engine"]) == (answer, False, "offline")
        assert body["answered_by_id"] == str(team.senior.user.id) and body["answered_at"]
        assert body["open"] is True
    marked = await client.post(
        url(handoff.id), json={"helpful_session_ids": [str(team.past[1])]}, headers=team.senior.headers
    )
    assert marked.status_code == 200
    assert marked.json()["cause"] == "no"  # left out: unchanged
    assert [h["session_id"] for h in marked.json()["helpful"]] == [str(team.past[1])]
    assert marked.json()["helpful"][0]["marked_by_id"] == str(team.senior.user.id)
    swapped = await client.post(
        url(handoff.id), json={"helpful_session_ids": [str(team.past[0])]}, headers=team.senior.headers
    )
    assert [h["session_id"] for h in swapped.json()["helpful"]] == [str(team.past[0])]

    resolved = await client.post(
        f"/api/v1/sessions/{handoff.session_id}/resolve",
        json={"resolution": "Raised the idle timeout on the firewall"},
        headers=team.senior.headers,
    )
    assert resolved.status_code == 200, resolved.text
    late = await client.post(url(handoff.id), json={"cause": "yes"}, headers=team.senior.headers)
    assert late.status_code == 409 and "resolved" in late.json()["detail"]
    after = (await client.get(url(handoff.id), headers=team.senior.headers)).json()
    assert (after["cause"], after["inferred"], after["open"]) == (
        "no",
        False,
        False,
    )  # an answer is not overwritten


async def test_who_may_answer(db: Database, client: httpx.AsyncClient, team: Team) -> None:
    handoff = await claimed_escalation(db, client, team)
    viewer = await client.post(url(handoff.id), json={"cause": "yes"}, headers=team.viewer.headers)
    assert viewer.status_code == 403 and "Viewers" in viewer.json()["detail"]
    escalator = await client.post(url(handoff.id), json={"cause": "yes"}, headers=team.junior.headers)
    assert escalator.status_code == 403
    other_account = await make_account(db)
    stranger = await make_user(db, other_account, role="admin")
    foreign = await client.post(url(handoff.id), json={"cause": "yes"}, headers=stranger.headers)
    assert foreign.status_code == 404
    assert (await client.get(url(handoff.id), headers=stranger.headers)).status_code == 404
    assert (await client.get(url(handoff.id), headers=team.senior.headers)).json()["cause"] is None


async def test_bad_bodies_are_422(db: Database, client: httpx.AsyncClient, team: Team) -> None:
    handoff = await claimed_escalation(db, client, team)
    for body in (
        {},
        {"cause": "maybe"},
        {"cause": "yes", "extra": 1},
        {"helpful_session_ids": [str(uuid.uuid4())]},
    ):
        done = await client.post(url(handoff.id), json=body, headers=team.senior.headers)
        assert done.status_code == 422, (body, done.text)


async def test_unclaimed_or_unassessed_cannot_be_answered(
    db: Database, client: httpx.AsyncClient, team: Team
) -> None:
    waiting = await claimed_escalation(db, client, team, claim=False)
    assert (
        await client.post(url(waiting.id), json={"cause": "yes"}, headers=team.senior.headers)
    ).status_code == 403
