"""Human forms of the report's figures, shared by the page and `relaydesk report escalations`."""

from __future__ import annotations

from relaydesk.analytics.schemas import EscalationReport, Interval

DASH = "—"


def duration(seconds: float | None) -> str:
    """`38 s`, `4 min 12 s`, `2 h 05 min`; a dash for no figure."""
    if seconds is None:
        return DASH
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60:02d} min"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def _interval_line(name: str, interval: Interval) -> str:
    figures = (
        ("median", interval.median_seconds),
        ("avg", interval.avg_seconds),
        ("p90", interval.p90_seconds),
        ("p95", interval.p95_seconds),
    )
    cells = "   ".join(f"{label} {duration(value):>10}" for label, value in figures)
    return f"{name:<22} {cells}   (over {interval.measured})"


def report_text(report: EscalationReport) -> str:
    """The report as a terminal reads it: figures first, definitions after."""
    c = report.counts
    span = report.period
    lines = [
        f"Escalations {span.start} to {span.end} ({span.days} days, {span.timezone})",
        "",
        f"escalations {c.escalations}   claimed {c.claimed} (with a first action {c.claimed_with_action}, "
        f"without {c.claimed_without_action})   still open {c.still_open}   withdrawn {c.withdrawn}"
        + (f"   closed unclaimed {c.closed_unclaimed}" if c.closed_unclaimed else ""),
        f"released at least once {c.released} ({c.releases} releases)",
        "",
        _interval_line("time to pickup", report.time_to_pickup),
        _interval_line("time to first action", report.time_to_first_action),
        f"{'conversion':<22} {percent(report.conversion)}",
    ]
    recovered = report.minutes_recovered
    if recovered is None:
        lines.append(f"{'minutes recovered':<22} no baseline entered (an owner or admin can set one)")
    else:
        figure = DASH if recovered.per_handoff_minutes is None else f"{recovered.per_handoff_minutes:g} min"
        lines.append(f"{'minutes recovered':<22} {figure} per handoff, ESTIMATE: {recovered.label}")
    lines += ["", report.metric_definition]
    return "\n".join(lines)
