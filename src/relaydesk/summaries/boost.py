""" "This helped" marks raise a past session in later similar-session searches, within a bound.

The boost is added to the search's textual score (the share of the problem's terms a candidate holds,
0 to 1) only to order candidates; the score shown stays textual. It grows by BOOST_PER_MARK for each
escalation whose claimer marked the session helpful and stops at MAX_BOOST, so a candidate whose
textual score is more than MAX_BOOST below another can never pass it, however often it was marked.

summaries/similar.py:find_similar applies it between ranking and judgement; the marks themselves are
the feedback domain's table (`assessment_helpful`), read here with one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import text

from relaydesk.db.uow import UnitOfWork

BOOST_PER_MARK = 0.05
MAX_BOOST = 0.15

T = TypeVar("T")

_MARKS = text(
    "SELECT past_session_id, count(DISTINCT handoff_id) AS marks FROM assessment_helpful "
    "WHERE account_id = :account AND past_session_id = ANY(CAST(:ids AS uuid[])) GROUP BY past_session_id"
)


def boost_for(marks: int) -> float:
    return min(MAX_BOOST, BOOST_PER_MARK * max(marks, 0))


async def helpful_boost(
    uow: UnitOfWork, account_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """The boost of each of `session_ids` that was ever marked helpful in this account (others absent)."""
    if not session_ids:
        return {}
    rows = await uow.rows(_MARKS, {"account": account_id, "ids": list(session_ids)})
    return {row.past_session_id: boost_for(int(row.marks)) for row in rows}


def boosted_order(
    items: Sequence[T],
    *,
    score: Callable[[T], float],
    key: Callable[[T], uuid.UUID],
    boosts: dict[uuid.UUID, float],
) -> list[T]:
    """`items` best first by textual score plus boost; ties keep their given order (stable sort)."""
    return sorted(items, key=lambda item: -(score(item) + boosts.get(key(item), 0.0)))
