"""The period's per-technician table as CSV: the csv module's quoting, and no cell a spreadsheet
would run as a formula (a name like `=HYPERLINK(...)` is written as `'=HYPERLINK(...)`)."""

from __future__ import annotations

import csv
import io
from typing import Any

from relaydesk.analytics.schemas import EscalationReport

HEADER = (
    "technician",
    "user_id",
    "escalations_made",
    "pickups",
    "median_time_to_pickup_seconds",
    "first_actions",
    "median_time_to_first_action_seconds",
    "period_start",
    "period_end",
)
# What Excel, LibreOffice and Sheets take as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def technicians_csv(report: EscalationReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for t in report.technicians:
        writer.writerow(
            safe_cell(v)
            for v in (
                t.name,
                t.user_id,
                t.escalations_made,
                t.pickups,
                t.median_pickup_seconds,
                t.first_actions,
                t.median_first_action_seconds,
                report.period.start,
                report.period.end,
            )
        )
    return out.getvalue()


def filename(report: EscalationReport) -> str:
    return f"escalations-by-technician-{report.period.start}-to-{report.period.end}.csv"
