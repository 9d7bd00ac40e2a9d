"""Escalation metrics: time to pickup, time to first action, conversion, the trend, the baseline.

Every statistic is computed by PostgreSQL (percentile_cont over indexed reads); Python only
shapes the one row per day that comes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.analytics import assessment
from relaydesk.analytics.filters import filter_clauses
from relaydesk.analytics.measures import MEASURED_CTES
from relaydesk.analytics.models import AnalyticsBaseline
from relaydesk.analytics.schemas import (
    BaselineIn,
    BaselineOut,
    Counts,
    EscalationReport,
    Interval,
    MinutesRecovered,
    ReportFilters,
    ReportPeriod,
    TrendDay,
)
from relaydesk.analytics.technicians import technician_figures
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, NotPermitted

PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "30d"
MAX_RANGE_DAYS = 366
# Claims and steps are stamped by whichever replica served them. A claimer's step stamped a
# little before their claim is clock drift, not earlier work: it counts as the first action, at 0 s.
CLOCK_DRIFT_TOLERANCE = timedelta(seconds=30)

METRIC_DEFINITION = (
    "These are in-product intervals measured from Relaydesk's own timestamps: how long an escalation "
    "waited before someone claimed it, and how long the claimer took to log a first step. "
    'They are not "time saved".'
)
DEFINITIONS = {
    "time_to_pickup": (
        "From the escalation's first creation to its current claim. A released escalation keeps its "
        "first creation time, so the wait includes the release; releases are counted separately. "
        "Negative intervals from clock drift count as 0. Escalations not claimed are counted but "
        "left out of the times."
    ),
    "time_to_first_action": (
        "From the current claim to the claimer's first step on the session after it. A step stamped up "
        f"to {int(CLOCK_DRIFT_TOLERANCE.total_seconds())} s before the claim is clock drift between "
        "servers and counts as 0. Claimed escalations with no such step are counted but left out of "
        "the times."
    ),
    "conversion": "Escalations claimed with a first action, divided by escalations claimed.",
    "period": (
        "Escalations created on the days shown (UTC, both ends included); the trend puts each "
        "escalation on the day it was created."
    ),
    "minutes_recovered": (
        "Your baseline (the stopwatch time of a verbal handoff) minus the median time to first "
        "action: an estimate against that baseline, not a measurement. Shown only once a baseline "
        "has been entered."
    ),
}


@dataclass(frozen=True)
class DateRange:
    label: str
    start: date  # inclusive
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range: created_at < end_before."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def today_utc() -> date:
    return datetime.now(UTC).date()


def resolve_range(
    period: str | None, start: date | None, end: date | None, *, today: date | None = None
) -> DateRange:
    """`period` (7d, 30d, 90d: that many UTC days ending today) or `from`/`to` dates, never both."""
    today = today or today_utc()
    if start is not None or end is not None:
        if period is not None:
            raise BadInput("Give either a period or from/to dates, not both.")
        if start is None:
            raise BadInput("A 'to' date needs a 'from' date.")
        end = end or today
        if start > end:
            raise BadInput(f"'from' ({start}) is after 'to' ({end}).")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise BadInput(f"The range is over a year; pick at most {MAX_RANGE_DAYS} days.")
        return DateRange("custom", start, end)
    period = DEFAULT_PERIOD if period is None else period
    if period not in PERIODS:
        raise BadInput(f"Unknown period {period!r}; use one of {', '.join(PERIODS)} or from/to dates.")
    return DateRange(period, today - timedelta(days=PERIODS[period] - 1), today)


def _require_reader(actor: Actor) -> None:
    actor.require("engineer", "see escalation analytics")


def require_baseline_editor(actor: Actor) -> None:
    if not actor.is_manager:
        raise NotPermitted("Only owners and admins can set the analytics baseline.")


# One pass over the period's escalations (`MEASURED_CTES`, analytics/measures.py); GROUPING SETS gives
# the totals and the per-day rows from the same scan.
_REPORT_SQL = (
    MEASURED_CTES
    + """
SELECT GROUPING(day) = 1 AS is_total, day,
       count(*) AS escalations,
       count(*) FILTER (WHERE claimed_at IS NOT NULL) AS claimed,
       count(first_action) AS claimed_with_action,
       count(*) FILTER (WHERE status = 'open') AS still_open,
       count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
       count(*) FILTER (WHERE release_count > 0) AS released,
       coalesce(sum(release_count), 0) AS releases,
       count(pickup) AS pickup_n,
       avg(pickup) AS pickup_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY pickup) AS pickup_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY pickup) AS pickup_p90,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY pickup) AS pickup_p95,
       avg(first_action) AS action_avg,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_action) AS action_p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY first_action) AS action_p90,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY first_action) AS action_p95
FROM measured
GROUP BY GROUPING SETS ((), (day))
"""
)


def report_sql(filters: ReportFilters) -> tuple[str, dict[str, Any]]:
    """The report statement for these filters, and their bound parameters (the benchmark EXPLAINs it)."""
    join, where, params = filter_clauses(filters)
    return _REPORT_SQL.format(join=join, where=where), params


_NO_TIMES: dict[str, Any] = {
    "avg_seconds": None,
    "median_seconds": None,
    "p90_seconds": None,
    "p95_seconds": None,
}


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _interval(row: Any, prefix: str, measured: int) -> Interval:
    return Interval(
        measured=measured,
        avg_seconds=_seconds(getattr(row, f"{prefix}_avg")),
        median_seconds=_seconds(getattr(row, f"{prefix}_p50")),
        p90_seconds=_seconds(getattr(row, f"{prefix}_p90")),
        p95_seconds=_seconds(getattr(row, f"{prefix}_p95")),
    )


def _minutes_recovered(baseline: AnalyticsBaseline | None, action: Interval) -> MinutesRecovered | None:
    if baseline is None:
        return None
    measured_on = baseline.measured_on
    base_min = baseline.baseline_handoff_seconds / 60
    if action.median_seconds is None:
        per_handoff = total = None
        label = (
            f"Estimate against your baseline of {base_min:g} min (measured {measured_on}): "
            "no escalation in this period has a first action yet."
        )
    else:
        per_handoff = round((baseline.baseline_handoff_seconds - action.median_seconds) / 60, 2)
        total = round(per_handoff * action.measured, 1)
        label = (
            f"Estimate against your baseline of {base_min:g} min for a verbal handoff (measured "
            f"{measured_on}), minus the median time to first action; not a measurement of time saved."
        )
    return MinutesRecovered(
        per_handoff_minutes=per_handoff,
        handoffs=action.measured,
        total_minutes=total,
        baseline_handoff_seconds=baseline.baseline_handoff_seconds,
        baseline_measured_on=measured_on,
        label=label,
    )


async def _baseline_row(uow: UnitOfWork, account_id: uuid.UUID) -> AnalyticsBaseline | None:
    return await uow.scalar(select(AnalyticsBaseline).where(AnalyticsBaseline.account_id == account_id))


async def escalation_report(
    uow: UnitOfWork,
    actor: Actor,
    *,
    period: str | None = None,
    start: date | None = None,
    end: date | None = None,
    filters: ReportFilters | None = None,
    today: date | None = None,
) -> EscalationReport:
    _require_reader(actor)
    span = resolve_range(period, start, end, today=today)
    filters = filters or ReportFilters()
    sql, params = report_sql(filters)
    bound = {"account_id": actor.account_id, "start_at": span.start_at, "end_before": span.end_before}
    rows = await uow.rows(text(sql), {**params, **bound})
    total = next((r for r in rows if r.is_total), None)
    by_day = {r.day: r for r in rows if not r.is_total}

    def count(name: str) -> int:
        return int(getattr(total, name)) if total is not None else 0

    claimed, with_action = count("claimed"), count("claimed_with_action")
    counts = Counts(
        escalations=count("escalations"),
        claimed=claimed,
        claimed_with_action=with_action,
        claimed_without_action=claimed - with_action,
        still_open=count("still_open"),
        withdrawn=count("withdrawn"),
        closed_unclaimed=count("escalations") - claimed - count("still_open") - count("withdrawn"),
        released=count("released"),
        releases=count("releases"),
    )
    pickup = _interval(total, "pickup", count("pickup_n")) if total else Interval(measured=0, **_NO_TIMES)
    action = _interval(total, "action", with_action) if total else Interval(measured=0, **_NO_TIMES)
    trend = []
    for offset in range(span.days):
        day = span.start + timedelta(days=offset)
        row = by_day.get(day)
        trend.append(
            TrendDay(
                date=day,
                escalations=int(row.escalations) if row else 0,
                claimed=int(row.claimed) if row else 0,
                median_pickup_seconds=_seconds(row.pickup_p50) if row else None,
                median_first_action_seconds=_seconds(row.action_p50) if row else None,
            )
        )
    baseline = await _baseline_row(uow, actor.account_id)
    shown = ReportPeriod(label=span.label, start=span.start, end=span.end, days=span.days)
    return EscalationReport(
        metric_definition=METRIC_DEFINITION,
        definitions=DEFINITIONS,
        period=shown,
        filters=filters,
        counts=counts,
        time_to_pickup=pickup,
        time_to_first_action=action,
        conversion=round(with_action / claimed, 4) if claimed else None,
        trend=trend,
        baseline=BaselineOut.model_validate(baseline) if baseline else None,
        minutes_recovered=_minutes_recovered(baseline, action),
        assessment=await assessment.accuracy(uow, actor.account_id, span.start, span.days, filters),
        technicians=await technician_figures(uow, bound, filters, shown),
        generated_at=datetime.now(UTC),
    )


async def get_baseline(uow: UnitOfWork, actor: Actor) -> BaselineOut | None:
    _require_reader(actor)
    row = await _baseline_row(uow, actor.account_id)
    return BaselineOut.model_validate(row) if row else None


async def set_baseline(uow: UnitOfWork, actor: Actor, baseline_in: BaselineIn) -> BaselineOut:
    require_baseline_editor(actor)
    row = await _baseline_row(uow, actor.account_id)
    if row is None:
        row = AnalyticsBaseline(account_id=actor.account_id)
        uow.add(row)
    row.baseline_handoff_seconds = baseline_in.baseline_handoff_seconds
    row.measured_on = baseline_in.measured_on
    row.set_by_id = actor.user_id if actor.via != "system" else None
    row.updated_at = datetime.now(UTC)
    await uow.flush()
    return BaselineOut.model_validate(row)


async def clear_baseline(uow: UnitOfWork, actor: Actor) -> None:
    require_baseline_editor(actor)
    row = await _baseline_row(uow, actor.account_id)
    if row is not None:
        await uow.delete(row)
        await uow.flush()


async def filter_choices(uow: UnitOfWork, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """The account's people, for the escalator/claimer pickers (removed users included: history)."""
    _require_reader(actor)
    rows = await uow.rows(
        select(User.id, User.name).where(User.account_id == actor.account_id).order_by(User.name)
    )
    return [(r.id, r.name) for r in rows]
