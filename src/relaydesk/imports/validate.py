"""One raw row (a CSV row or a JSON object) → a `HistoryRecord`, or a `RowError` saying why not.

How `steps` and `notes` become steps (documented in the CLI help too):
- text (a CSV cell, or a JSON string): one step per non-empty line. A line `action => result` is a step
  with a result; any other line is a note. A leading `[fixed]`, `[failed]`, `[partial]` or `[info]` sets
  the step's outcome (default `info`).
- a JSON list: each item is either a string (read as one line above) or an object
  `{"action": ..., "result": ..., "outcome": ..., "at": ...}` (`at`: when it was done, ISO 8601).
- `steps` come first, then `notes`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from relaydesk.imports.records import (
    MAX_CATEGORY,
    MAX_CLIENT,
    MAX_STEPS,
    MAX_TECHNICIAN,
    MAX_TEXT,
    MAX_TICKET_ID,
    HistoryRecord,
    HistoryStep,
    Outcome,
    Priority,
    RowError,
)

REQUIRED = ("problem", "resolution", "ticket_id")
OPTIONAL = ("steps", "notes", "client", "category", "closed_at", "technician", "priority")
COLUMNS = (*REQUIRED, *OPTIONAL)
EXPECTED = (
    "problem, steps or notes, resolution, client, ticket_id, category, closed_at, and optionally technician "
    "and priority"
)

OUTCOMES: tuple[str, ...] = get_args(Outcome)
PRIORITIES: tuple[str, ...] = get_args(Priority)
_PRIORITY_OF: dict[str, Priority] = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}
_OUTCOME_OF: dict[str, Outcome] = {"fixed": "fixed", "failed": "failed", "partial": "partial", "info": "info"}
_OUTCOME_PREFIX = re.compile(r"^\[(fixed|failed|partial|info)\]\s*", re.IGNORECASE)
_RESULT_SEPARATOR = " => "


class Invalid(ValueError):
    """A field that cannot be imported; the message is the row error's reason."""


def _text(raw: dict[str, Any], key: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    value = raw.get(key)
    if value is None:
        value = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a numeric ticket id in JSON
    if not isinstance(value, str):
        raise Invalid(f"{key} must be text")
    value = value.strip()
    if not value:
        if required:
            raise Invalid(f"{key} is empty")
        return None
    if "\x00" in value:
        raise Invalid(f"{key} contains a NUL character")
    if len(value) > limit:
        raise Invalid(f"{key} is longer than {limit} characters")
    return value


def parse_closed_at(value: Any, *, now: datetime | None = None) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Invalid("closed_at must be an ISO 8601 date or date-time")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("closed_at is not an ISO 8601 date or date-time (e.g. 2026-03-14T09:30:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive times are read as UTC
    if moment > (now or datetime.now(UTC)) + timedelta(days=1):
        raise Invalid("closed_at is in the future")
    return moment


def step_time(value: Any) -> datetime | None:
    """A step's time as a source gives it; one that cannot be read is left out (the step keeps its
    place, timed from the close), never a reason to refuse the ticket."""
    try:
        return parse_closed_at(value)
    except Invalid:
        return None


def parse_priority(value: Any) -> Priority:
    """An empty cell is `normal`; anything else must be one of the session priorities."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "normal"
    priority = _PRIORITY_OF.get(value.strip().lower()) if isinstance(value, str) else None
    if priority is None:
        raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}")
    return priority


def _step_from_line(line: str) -> HistoryStep | None:
    line = line.strip()
    if not line:
        return None
    outcome: Outcome = "info"
    prefix = _OUTCOME_PREFIX.match(line)
    if prefix:
        outcome = _OUTCOME_OF[prefix.group(1).lower()]
        line = line[prefix.end() :].strip()
    action, _, result = line.partition(_RESULT_SEPARATOR)
    action, result = action.strip(), result.strip()
    if not action:
        return None
    return HistoryStep(action=action[:MAX_TEXT], result=result[:MAX_TEXT] or None, outcome=outcome)


def _step_from_object(item: dict[str, Any], key: str) -> HistoryStep | None:
    action = item.get("action")
    if not isinstance(action, str):
        raise Invalid(f"each object in {key} needs an action (text)")
    result = item.get("result")
    if result is not None and not isinstance(result, str):
        raise Invalid(f"a result in {key} must be text")
    outcome = _OUTCOME_OF.get(str(item.get("outcome") or "info"))
    if outcome is None:
        raise Invalid(f"an outcome in {key} must be one of {', '.join(OUTCOMES)}")
    if not action.strip():
        return None
    return HistoryStep(
        action=action.strip()[:MAX_TEXT],
        result=(result or "").strip()[:MAX_TEXT] or None,
        outcome=outcome,
        at=step_time(item.get("at")),
    )


def parse_steps(value: Any, key: str) -> list[HistoryStep]:
    if value is None:
        return []
    if isinstance(value, str):
        lines: list[Any] = value.splitlines()
    elif isinstance(value, list):
        lines = value
    else:
        raise Invalid(f"{key} must be text (one step per line) or a list")
    steps: list[HistoryStep] = []
    for item in lines:
        if isinstance(item, str):
            step = _step_from_line(item)
        elif isinstance(item, dict):
            step = _step_from_object(item, key)
        else:
            raise Invalid(f"each item of {key} must be text or an object with an action")
        if step is not None:
            steps.append(step)
    return steps


def to_record(row: int, raw: dict[str, Any], *, now: datetime | None = None) -> HistoryRecord | RowError:
    """Validate one row; never raises for bad content (the row becomes an error and is skipped)."""
    try:
        steps = parse_steps(raw.get("steps"), "steps") + parse_steps(raw.get("notes"), "notes")
        if len(steps) > MAX_STEPS:
            raise Invalid(f"more than {MAX_STEPS} steps")
        return HistoryRecord(
            ticket_id=_text(raw, "ticket_id", required=True, limit=MAX_TICKET_ID) or "",
            problem=_text(raw, "problem", required=True) or "",
            resolution=_text(raw, "resolution", required=True) or "",
            steps=tuple(steps),
            client=_text(raw, "client", limit=MAX_CLIENT),
            category=_text(raw, "category", limit=MAX_CATEGORY),
            closed_at=parse_closed_at(raw.get("closed_at"), now=now),
            technician=_text(raw, "technician", limit=MAX_TECHNICIAN),
            priority=parse_priority(raw.get("priority")),
            row=row,
        )
    except Invalid as exc:
        return RowError(row=row, reason=str(exc))


def check_record(record: HistoryRecord) -> str | None:
    """The same limits for records built in code (the Python API): the reason it is refused, or None."""
    raw = {
        "ticket_id": record.ticket_id,
        "problem": record.problem,
        "resolution": record.resolution,
        "client": record.client,
        "category": record.category,
        "technician": record.technician,
    }
    try:
        for key in REQUIRED:
            _text(raw, key, required=True, limit=MAX_TICKET_ID if key == "ticket_id" else MAX_TEXT)
        _text(raw, "client", limit=MAX_CLIENT)
        _text(raw, "category", limit=MAX_CATEGORY)
        _text(raw, "technician", limit=MAX_TECHNICIAN)
        if record.priority not in PRIORITIES:
            raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}")
        if len(record.steps) > MAX_STEPS:
            raise Invalid(f"more than {MAX_STEPS} steps")
        for step in record.steps:
            if not step.action.strip() or step.outcome not in OUTCOMES:
                raise Invalid("a step has no action or an unknown outcome")
    except Invalid as exc:
        return str(exc)
    return None
