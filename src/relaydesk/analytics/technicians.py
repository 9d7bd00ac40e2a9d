"""Per technician, over the report's period and filters: escalations made, pickups, and the medians
of time to pickup and time to first action of the escalations they picked up.

The same measured escalations as the report (analytics/measures.py), grouped once by escalator and
once by claimer; only people with a figure in the period get a row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

from relaydesk.analytics.filters import filter_clauses
from relaydesk.analytics.measures import MEASURED_CTES
from relaydesk.analytics.schemas import ReportFilters, ReportPeriod, TechnicianFigures
from relaydesk.db.uow import UnitOfWork

_TECHNICIANS_SQL = (
    MEASURED_CTES
    + """,
made AS (
    SELECT created_by_id AS user_id, count(*) AS made FROM measured GROUP BY created_by_id
),
picked AS (
    SELECT claimed_by_id AS user_id, count(*) AS pickups,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY pickup) AS pickup_p50,
           count(first_action) AS first_actions,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY first_action) AS action_p50
    FROM measured
    WHERE claimed_by_id IS NOT NULL AND claimed_at IS NOT NULL
    GROUP BY claimed_by_id
)
SELECT u.id, u.name, coalesce(m.made, 0) AS made, coalesce(p.pickups, 0) AS pickups,
       p.pickup_p50, coalesce(p.first_actions, 0) AS first_actions, p.action_p50
FROM users u
LEFT JOIN made m ON m.user_id = u.id
LEFT JOIN picked p ON p.user_id = u.id
WHERE u.account_id = :account_id AND (m.user_id IS NOT NULL OR p.user_id IS NOT NULL)
ORDER BY u.name, u.id
"""
)


def sessions_link(period: ReportPeriod, **params: str) -> str:
    """The Sessions page (`/sessions/all`) narrowed to what a figure counts, over the same days."""
    return "/sessions/all?" + urlencode(
        {**params, "from": period.start.isoformat(), "to": period.end.isoformat()}
    )


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


async def technician_figures(
    uow: UnitOfWork, params: dict[str, Any], filters: ReportFilters, period: ReportPeriod
) -> list[TechnicianFigures]:
    """`params`: the report's bound account and range (:account_id, :start_at, :end_before)."""
    join, where, filter_params = filter_clauses(filters)
    rows = await uow.rows(text(_TECHNICIANS_SQL.format(join=join, where=where)), {**params, **filter_params})
    return [
        TechnicianFigures(
            user_id=r.id,
            name=r.name,
            escalations_made=int(r.made),
            pickups=int(r.pickups),
            median_pickup_seconds=_seconds(r.pickup_p50),
            first_actions=int(r.first_actions),
            median_first_action_seconds=_seconds(r.action_p50),
            made_link=sessions_link(period, owner=str(r.id), escalated="yes"),
            pickups_link=sessions_link(period, claimed_by=str(r.id)),
        )
        for r in rows
    ]
