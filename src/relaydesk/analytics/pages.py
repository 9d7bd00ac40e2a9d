"""The analytics screen: period and filters, the figures, the trend, the definitions, the baseline."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from relaydesk.accounts.actor import Actor
from relaydesk.analytics import chart
from relaydesk.analytics import service as analytics
from relaydesk.analytics.formatting import duration, percent
from relaydesk.analytics.schemas import BaselineIn, EscalationReport, ReportFilters
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput
from relaydesk.web.auth import FormActor, PageActor
from relaydesk.web.deps import UowDep
from relaydesk.web.problems import validation_message
from relaydesk.web.templating import render

router = APIRouter()

PERIOD_CHOICES = (
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("custom", "Dates…"),
)


def _uuid(value: str, what: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise BadInput(f"{what} is not a user of this account.") from exc


def _date(value: str, what: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadInput(f"{what} must be a date like 2026-01-31.") from exc


async def _page(
    request: Request,
    uow: UnitOfWork,
    actor: Actor,
    *,
    form: dict[str, str],
    status_code: int = 200,
    notice: str | None = None,
    baseline_error: str | None = None,
    baseline_values: dict[str, str] | None = None,
) -> Response:
    """Render the page for the given query form; a bad range shows the form with the reason."""
    report: EscalationReport | None = None
    error = None
    try:
        filters = ReportFilters(
            escalator=_uuid(form["escalator"], "The escalator"),
            claimer=_uuid(form["claimer"], "The claimer"),
            category=form["category"],
            client=form["client"],
        )
        custom = form["period"] == "custom"
        report = await analytics.escalation_report(
            uow,
            actor,
            period=None if custom else (form["period"] or None),
            start=_date(form["from"], "'From'") if custom else None,
            end=_date(form["to"], "'To'") if custom else None,
            filters=filters,
        )
    except ValidationError as exc:
        error, status_code = validation_message(exc), 422
    except BadInput as exc:
        error, status_code = exc.detail, 422
    people = await analytics.filter_choices(uow, actor)
    baseline = report.baseline if report else await analytics.get_baseline(uow, actor)
    if baseline_values is None:
        baseline_values = {
            "minutes": str(baseline.baseline_handoff_seconds // 60) if baseline else "",
            "seconds": str(baseline.baseline_handoff_seconds % 60) if baseline else "",
            "measured_on": baseline.measured_on.isoformat() if baseline else "",
        }
    return render(
        request,
        "analytics/analytics.html",
        status_code=status_code,
        report=report,
        error=error,
        notice=notice,
        form=form,
        csv_href=csv_href(form),
        periods=PERIOD_CHOICES,
        people=people,
        count_chart=chart.count_chart(report.trend) if report else None,
        median_chart=chart.median_chart(report.trend) if report else None,
        duration=duration,
        percent=percent,
        num=lambda value: f"{value:,}",
        definitions=analytics.DEFINITIONS,
        metric_definition=analytics.METRIC_DEFINITION,
        baseline=baseline,
        can_set_baseline=actor.is_manager,
        baseline_error=baseline_error,
        baseline_values=baseline_values,
    )


def csv_href(form: dict[str, str]) -> str:
    """The CSV export of what the page shows: the same period and filters."""
    dates = ("from", "to") if form["period"] == "custom" else ("period",)
    keys = (*dates, "escalator", "claimer", "category", "client")
    return "/api/v1/analytics/escalations.csv?" + urlencode({k: form[k] for k in keys if form.get(k)})


_NO_DATES: dict[str, str | None] = {"from": None, "to": None}


def _query_form(**values: str | None) -> dict[str, str]:
    form = {k: (v or "").strip() for k, v in values.items()}
    if not form["period"]:
        form["period"] = "custom" if form["from"] or form["to"] else analytics.DEFAULT_PERIOD
    return form


@router.get("/analytics")
async def analytics_page(
    request: Request, uow: UowDep, actor: PageActor, notice: str | None = None
) -> Response:
    # Read by hand: empty form fields arrive as "" and must mean "no filter", not a 422.
    q = request.query_params
    form = _query_form(
        period=q.get("period"),
        **{"from": q.get("from"), "to": q.get("to")},
        escalator=q.get("escalator"),
        claimer=q.get("claimer"),
        category=q.get("category"),
        client=q.get("client"),
    )
    return await _page(request, uow, actor, form=form, notice=notice)


@router.post("/analytics/baseline")
async def save_baseline(
    request: Request,
    uow: UowDep,
    actor: FormActor,
    minutes: str = Form(""),
    seconds: str = Form(""),
    measured_on: str = Form(""),
    action: str = Form("save"),
) -> Response:
    analytics.require_baseline_editor(actor)
    if action == "clear":
        await analytics.clear_baseline(uow, actor)
        return RedirectResponse("/analytics?notice=" + quote("Baseline removed."), status_code=303)
    values = {"minutes": minutes, "seconds": seconds, "measured_on": measured_on}
    try:
        total = int(minutes.strip() or 0) * 60 + int(seconds.strip() or 0)
    except ValueError:
        return await _baseline_refused(request, uow, actor, "Minutes and seconds are whole numbers.", values)
    try:
        baseline_in = BaselineIn.model_validate(
            {"baseline_handoff_seconds": total, "measured_on": measured_on}
        )
        async with uow.attempt():
            await analytics.set_baseline(uow, actor, baseline_in)
    except ValidationError as exc:
        return await _baseline_refused(request, uow, actor, validation_message(exc), values)
    except BadInput as exc:
        return await _baseline_refused(request, uow, actor, exc.detail, values)
    return RedirectResponse("/analytics?notice=" + quote("Baseline saved."), status_code=303)


async def _baseline_refused(
    request: Request, uow: UnitOfWork, actor: Actor, problem: str, values: dict[str, str]
) -> Response:
    """The page again (default period), the baseline form keeping what was typed, with the reason."""
    form = _query_form(period=None, escalator=None, claimer=None, category=None, client=None, **_NO_DATES)
    return await _page(
        request,
        uow,
        actor,
        form=form,
        status_code=422,
        baseline_error=problem,
        baseline_values=values,
    )
