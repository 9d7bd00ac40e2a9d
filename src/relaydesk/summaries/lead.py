"""A lead from the session itself: what its own steps found, when history offers no usable match.

A finding is something a result names: a setting (`EnableADAL=0`), an error code or message, a
component reported missing, disabled, corrupt or failing. Findings in `info` and `partial` results come
first (a technician looked and saw something); an error that repeats across failed steps is the other
kind of lead. The lead is said as "The steps point at …", cited to its steps, and never earns more than
low confidence: it is a place to look, not a diagnosis.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from relaydesk.summaries.schemas import StepMaterial
from relaydesk.summaries.words import clip

_LEAD_CHARS = 170

_SETTING = re.compile(r"\b[A-Za-z][\w.\\-]{2,}\s*=\s*[\w.\"'-]+")
_CODE = re.compile(
    r"\b0x[0-9a-f]{4,8}\b|\b(?:error|code|event(?: id)?|exit status|status)\s*[:#]?\s*-?\d{2,}\b"
    r"|\bAADSTS\d+\b|\b[A-Z]{2,}_[A-Z_]{3,}\b|\bE: [^.]{8,}|\bKB\d{6,}\b|\bHTTP [45]\d\d\b",
    re.I,
)
_QUOTED = re.compile(r"[\"“'‘]([^\"”'’]{6,120})[\"”'’]")
_STATE = re.compile(
    r"\b(?:is |are |was |were |shows? (?:as )?|reports? |set to |looks )?(?:disabled|not enabled|turned off|"
    r"missing|not found|not installed|not running|stopped|corrupt(?:ed)?|expired|denied|blocked|full|"
    r"out of date|outdated|mismatch(?:ed)?|not responding|unreachable|failing|unsigned|untrusted|"
    r"no such file|permission denied|timed out|refused)\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class Lead:
    text: str
    step_ids: list[str]


def _where(steps: Sequence[StepMaterial], ids: Sequence[str]) -> str:
    numbers = [str(n) for n, s in enumerate(steps, 1) if str(s.id) in ids]
    return ("step " if len(numbers) == 1 else "steps ") + ", ".join(numbers)


def _finding(text: str) -> tuple[int, str] | None:
    """The strongest finding in one result, with its strength, as the clause that states it."""
    best: tuple[int, str] | None = None
    for part in _SENTENCES.split(text):
        strength = (
            3 * bool(_SETTING.search(part))
            + 2 * bool(_CODE.search(part))
            + 2 * bool(_QUOTED.search(part))
            + 2 * bool(_STATE.search(part))
        )
        if strength and (best is None or strength > best[0]):
            best = (strength, part.strip())
    return best


def _repeated_error(steps: Sequence[StepMaterial]) -> Lead | None:
    failed = [s for s in steps if s.outcome in ("failed", "partial") and s.result]
    seen: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for step in failed:
        found = {m.group(0).strip().lower() for m in _CODE.finditer(step.result or "")}
        found |= {m.group(1).strip().lower() for m in _QUOTED.finditer(step.result or "")}
        for item in found:
            seen[item] += 1
            where.setdefault(item, []).append(str(step.id))
    repeated = [item for item, n in seen.most_common() if n >= 2]
    if not repeated:
        return None
    item = repeated[0]
    ids = where[item]
    original = next(m.group(0) for s in failed for m in re.finditer(re.escape(item), s.result or "", re.I))
    return Lead(
        text=f"The steps point at {original}: it came back after every fix tried ({_where(steps, ids)}).",
        step_ids=ids,
    )


def lead_from_steps(steps: Sequence[StepMaterial]) -> Lead | None:
    """What the session's own steps point at, or None when none of them does."""
    candidates: list[tuple[int, int, str, StepMaterial]] = []
    for n, step in enumerate(steps):
        if step.outcome not in ("info", "partial"):
            continue
        text = step.result or (step.action if step.outcome == "info" else "")
        found = _finding(text)
        if found:
            candidates.append((found[0], n, found[1], step))
    if candidates:
        # The strongest finding; of equals, the latest (the newest look at the problem).
        _, _, clause, step = max(candidates, key=lambda c: (c[0], c[1]))
        said = clip(clause, _LEAD_CHARS).rstrip(".")
        return Lead(
            text=f"The steps point at what {_where(steps, [str(step.id)])} found: {said}.",
            step_ids=[str(step.id)],
        )
    return _repeated_error(steps)
