"""The report's filters as SQL: one place, read by the escalation metrics and the assessment accuracy."""

from __future__ import annotations

from typing import Any

from relaydesk.analytics.schemas import ReportFilters


def filter_clauses(filters: ReportFilters) -> tuple[str, str, dict[str, Any]]:
    """(join, `AND ...` conditions, parameters) over handoffs `h` and, when needed, sessions `s`."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if filters.escalator:
        where.append("h.created_by_id = :escalator")
        params["escalator"] = filters.escalator
    if filters.claimer:
        where.append("h.claimed_by_id = :claimer")
        params["claimer"] = filters.claimer
    if filters.category:
        where.append("lower(s.category) = lower(:category)")
        params["category"] = filters.category
    if filters.client:
        where.append("lower(s.client_name) = lower(:client)")
        params["client"] = filters.client
    join = "JOIN sessions s ON s.id = h.session_id" if filters.category or filters.client else ""
    return join, "".join(f" AND {w}" for w in where), params
