""" "This helped" boost: bounded, per account, and unable to bury a better textual match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from relaydesk.db.uow import Database
from relaydesk.summaries.boost import BOOST_PER_MARK, MAX_BOOST, boost_for, boosted_order, helpful_boost
from tests.feedback.conftest import Team, claimed_escalation, make_team


@dataclass
class Candidate:
    id: uuid.UUID
    score: float


def test_boost_grows_per_mark_and_stops_at_the_bound() -> None:
    assert [boost_for(n) for n in (0, 1, 2, 3, 50)] == [0.0, BOOST_PER_MARK, 0.1, MAX_BOOST, MAX_BOOST]


def test_a_marked_session_cannot_bury_a_better_textual_match() -> None:
    better, marked, close = (Candidate(uuid.uuid4(), s) for s in (0.8, 0.6, 0.7))
    boosts = {marked.id: boost_for(1000)}  # marked as often as you like: +0.15 at most
    ordered = boosted_order(
        [marked, close, better], score=lambda c: c.score, key=lambda c: c.id, boosts=boosts
    )
    assert ordered == [better, marked, close]  # 0.8 > 0.6 + 0.15 = 0.75 > 0.7
    # within the bound it does pass a near neighbour
    assert ordered.index(marked) < ordered.index(close)


def test_no_boost_keeps_the_textual_order() -> None:
    items = [Candidate(uuid.uuid4(), s) for s in (0.9, 0.5, 0.5, 0.3)]
    assert boosted_order(items, score=lambda c: c.score, key=lambda c: c.id, boosts={}) == items


async def test_helpful_boost_counts_marks_of_this_account_only(
    db: Database, client: httpx.AsyncClient, team: Team
) -> None:
    for _ in range(2):
        handoff = await claimed_escalation(db, client, team)
        done = await client.post(
            f"/api/v1/handoffs/{handoff.id}/assessment-feedback",
            json={"helpful_session_ids": [str(team.past[0])]},
            headers=team.senior.headers,
        )
        assert done.status_code == 200
    async with db.uow(team.account.id) as uow:
        boosts = await helpful_boost(uow, team.account.id, [*team.past, uuid.uuid4()])
    assert boosts == {team.past[0]: 2 * BOOST_PER_MARK}
    other = await make_team(db)
    async with db.uow(other.account.id) as uow:
        assert await helpful_boost(uow, other.account.id, team.past) == {}
