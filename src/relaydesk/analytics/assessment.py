"""Assessment accuracy: how often the assessment's likely cause was confirmed, answered and inferred
apart, by engine, per day; and how often a similar past session helped.

One statement returns one row per claimed escalation of the period (a bounded set: the claimed
escalations of at most MAX_RANGE_DAYS); the counts are shaped here. Only this account's rows are read
(the account filter, and RLS under it).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text

from relaydesk.analytics.filters import filter_clauses
from relaydesk.analytics.schemas import (
    AccuracyDay,
    AssessmentAccuracy,
    EngineAccuracy,
    ReportFilters,
    SimilarHelp,
    VerdictCounts,
)
from relaydesk.db.uow import UnitOfWork
from relaydesk.summaries.schemas import SimilarSession

_SQL = """
SELECT CAST(h.created_at AT TIME ZONE 'UTC' AS date) AS day, f.engine, f.cause, f.inferred,
       h.summary -> 'similar_sessions' AS similar,
       EXISTS (SELECT 1 FROM assessment_helpful m
               WHERE m.handoff_id = h.id AND m.account_id = :account_id) AS helped
FROM handoffs h {join}
LEFT JOIN assessment_feedback f ON f.handoff_id = h.id AND f.account_id = :account_id
WHERE h.account_id = :account_id AND h.intent = 'escalate' AND h.claimed_at IS NOT NULL
  AND h.created_at >= :start_at AND h.created_at < :end_before {where}
"""


def _counts(verdicts: list[str]) -> VerdictCounts:
    yes = verdicts.count("yes")
    return VerdictCounts(
        count=len(verdicts),
        yes=yes,
        partly=verdicts.count("partly"),
        no=verdicts.count("no"),
        confirmed_share=round(yes / len(verdicts), 4) if verdicts else None,
    )


def _shown(similar: Any) -> bool:
    """Whether the summary listed a similar session (each read through its model)."""
    if not isinstance(similar, list):
        return False
    for item in similar:
        try:
            SimilarSession.model_validate(item)
        except ValidationError:
            continue
        return True
    return False


async def accuracy(
    uow: UnitOfWork, account_id: uuid.UUID, start: date, days: int, filters: ReportFilters
) -> AssessmentAccuracy:
    join, where, params = filter_clauses(filters)
    start_at = datetime.combine(start, time(), tzinfo=UTC)
    rows = await uow.rows(
        text(_SQL.format(join=join, where=where)),
        {
            **params,
            "account_id": account_id,
            "start_at": start_at,
            "end_before": start_at + timedelta(days=days),
        },
    )
    kinds: dict[bool, list[str]] = {False: [], True: []}
    engines: dict[str, dict[bool, list[str]]] = defaultdict(lambda: {False: [], True: []})
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    shown = helped = 0
    for row in rows:
        if row.cause is not None:
            kinds[row.inferred].append(row.cause)
            engines[row.engine][row.inferred].append(row.cause)
            tally = per_day[row.day]
            base = 2 if row.inferred else 0
            tally[base] += 1
            tally[base + 1] += row.cause == "yes"
        if _shown(row.similar):
            shown += 1
            helped += bool(row.helped)
    by_engine = [
        EngineAccuracy(engine=engine, answered=_counts(v[False]), inferred=_counts(v[True]))
        for engine, v in sorted(engines.items(), key=lambda e: (-len(e[1][False]) - len(e[1][True]), e[0]))
    ]
    trend = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        a, a_yes, i, i_yes = per_day.get(day, [0, 0, 0, 0])
        trend.append(AccuracyDay(date=day, answered=a, answered_yes=a_yes, inferred=i, inferred_yes=i_yes))
    return AssessmentAccuracy(
        claimed=len(rows),
        answered=_counts(kinds[False]),
        inferred=_counts(kinds[True]),
        no_verdict=len(rows) - len(kinds[False]) - len(kinds[True]),
        by_engine=by_engine,
        trend=trend,
        similar=SimilarHelp(shown=shown, helped=helped, share=round(helped / shown, 4) if shown else None),
    )
