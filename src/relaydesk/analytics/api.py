"""JSON routes of analytics: the escalation report and the account's baseline."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from relaydesk.analytics import export
from relaydesk.analytics import service as analytics
from relaydesk.analytics.schemas import BaselineIn, BaselineOut, EscalationReport, ReportFilters
from relaydesk.web.deps import CurrentActor, UowDep

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


async def _report(
    uow: UowDep,
    actor: CurrentActor,
    period: Annotated[str | None, Query(description="7d, 30d or 90d (default 30d).")] = None,
    start: Annotated[date | None, Query(alias="from", description="First day, UTC, inclusive.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, UTC, inclusive.")] = None,
    escalator: uuid.UUID | None = None,
    claimer: uuid.UUID | None = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    client: Annotated[str | None, Query(max_length=200)] = None,
) -> EscalationReport:
    """The report both routes answer with, from one set of query parameters."""
    filters = ReportFilters(escalator=escalator, claimer=claimer, category=category, client=client)
    return await analytics.escalation_report(uow, actor, period=period, start=start, end=end, filters=filters)


ReportDep = Annotated[EscalationReport, Depends(_report)]


@router.get(
    "/escalations",
    response_model=EscalationReport,
    responses={403: {"description": "Viewers cannot see analytics."}, 422: {"description": "Bad range."}},
)
async def escalations(report: ReportDep) -> EscalationReport:
    """Time to pickup and time to first action for the account's escalations: in-product intervals,
    not time saved. `minutes_recovered` is null until an owner or admin enters a baseline."""
    return report


@router.get(
    "/escalations.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per technician, with a header."},
        403: {"description": "Viewers cannot see analytics."},
        422: {"description": "Bad range."},
    },
)
async def escalations_csv(report: ReportDep) -> Response:
    """The period's per-technician figures (the report's `technicians`) as a CSV download."""
    return Response(
        export.technicians_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename(report)}"'},
    )


@router.get("/baseline", response_model=BaselineOut | None)
async def get_baseline(uow: UowDep, actor: CurrentActor) -> BaselineOut | None:
    return await analytics.get_baseline(uow, actor)


@router.put("/baseline", response_model=BaselineOut)
async def set_baseline(baseline_in: BaselineIn, uow: UowDep, actor: CurrentActor) -> BaselineOut:
    """Owners and admins: the stopwatch time of a verbal handoff, and the day it was measured."""
    return await analytics.set_baseline(uow, actor, baseline_in)


@router.delete("/baseline", status_code=204)
async def clear_baseline(uow: UowDep, actor: CurrentActor) -> Response:
    await analytics.clear_baseline(uow, actor)
    return Response(status_code=204)
