"""The offline engine: a grounded summary from the session's own steps and the account's resolved history.

Deterministic and database-free: the service hands in redacted material (invariant 7) with the similar
sessions already ranked and judged (similar.py), and gets the same summary for the same material every
time, in well under a millisecond per step. It is the default when no model is configured and the instant
first draft when one is (invariant 4).

What it may say, and from where:

- `what_we_know` comes only from steps: each fact quotes (shortened) one step's action and result and
  records that step's id in `facts`; failed and partial steps come first, and when there are more of
  them than fit, the older ones are listed together in one fact that cites them all.
- `likely_cause` and `suggested_steps` come from the fixes of similar sessions judged strong or possible,
  leaving out what this session already tried. With none, the cause is the lead the steps themselves
  give (lead.py), at low confidence; only when no step points anywhere does it say so.
- `confidence` is the judgement of the best match (its score and margin, calibrated in similar.py),
  raised to high when a second match was fixed the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from relaydesk.summaries import writeups
from relaydesk.summaries.chips import chips_from, fixes_of, was_tried
from relaydesk.summaries.lead import lead_from_steps
from relaydesk.summaries.schemas import (
    MAX_FACTS,
    MAX_SUGGESTED_STEPS,
    Confidence,
    EarlierSuggestion,
    Fact,
    SimilarSession,
    StepMaterial,
    Summary,
    SummaryMaterial,
    SummaryState,
)
from relaydesk.summaries.words import clip, jaccard, lower_first, sentence, shorten, terms

ENGINE = "offline"

# Two resolutions "agree" when this share of their words is the same (Jaccard).
AGREEMENT = 0.3

NO_BASIS_CAUSE = (
    "Not known yet: no resolved session of this account matches closely, "
    "and the steps so far do not point at one."
)
ALL_TRIED_CAUSE = (
    "Probably something different from the similar resolved sessions: what fixed them was already "
    "tried here without success."
)

_ACTION_CHARS = 100
_RESULT_CHARS = 120
_LIST_ACTION_CHARS = 45
_FACT_CHARS = 300
_CAUSE_CHARS = 300


@dataclass
class Assessment:
    """The part of a summary the suggestions endpoint also serves."""

    likely_cause: str
    suggested_steps: list[str]
    confidence: Confidence
    confidence_basis: str
    evidence: list[str] = field(default_factory=list)
    similar_sessions: list[SimilarSession] = field(default_factory=list)
    # True when the cause comes from a similar session's fix (the ticket note then names it as likely).
    grounded: bool = False


def _from_the_steps(material: SummaryMaterial, similar: list[SimilarSession], why: str) -> Assessment:
    lead = lead_from_steps(material.steps)
    if lead is None:
        return Assessment(
            likely_cause=NO_BASIS_CAUSE if why != "tried" else ALL_TRIED_CAUSE,
            suggested_steps=[],
            confidence="low",
            confidence_basis=_BASIS[why],
            similar_sessions=similar,
        )
    prefix = "" if why != "tried" else "What fixed similar sessions was already tried here. "
    return Assessment(
        likely_cause=prefix + lead.text,
        suggested_steps=[],
        confidence="low",
        confidence_basis=_BASIS[why] + " The lead comes from this session's own steps.",
        evidence=lead.step_ids,
        similar_sessions=similar,
    )


_BASIS = {
    "none": "No resolved session in this account's history shares enough with this one.",
    "weak": "The closest resolved sessions are weak matches, not enough to go on.",
    "tried": "Similar resolved sessions were found, but what fixed them was already tried here.",
}


def _fix_said(match: SimilarSession) -> str:
    """How a match was fixed, in a phrase: its first fix as a chip, else its resolution's first clause."""
    fixes = fixes_of(match)
    if fixes:
        return lower_first(fixes[0])
    return lower_first(clip(match.resolution, 160).rstrip("."))


def assess(material: SummaryMaterial) -> Assessment:
    """Likely cause, next steps not yet tried, confidence and evidence."""
    similar = list(material.similar_sessions)
    usable = [m for m in similar if m.strength != "weak"]
    if not usable:
        return _from_the_steps(material, similar, "weak" if similar else "none")

    # A match whose every fix this session already tried does not ground a cause: it failed here.
    untried = [
        m for m in usable if not fixes_of(m) or any(was_tried(f, material.steps) is None for f in fixes_of(m))
    ]
    if not untried:
        return _from_the_steps(material, similar, "tried")
    steps = chips_from(untried, material.steps, MAX_SUGGESTED_STEPS)

    best = untried[0]
    best_words = terms(best.resolution) | terms(" ".join(best.fixing_steps))
    agreeing = [
        m
        for m in untried[1:]
        if jaccard(best_words, terms(m.resolution) | terms(" ".join(m.fixing_steps))) >= AGREEMENT
    ]
    first = best is usable[0]
    confidence: Confidence = "high" if first and (best.strength == "strong" or agreeing) else "medium"
    if not first:
        basis = "The closest match's fix was already tried here; this is the next closest."
    elif best.strength == "strong":
        basis = "A resolved session of this account matches closely, well ahead of any other."
    else:
        basis = "A resolved session of this account matches, but not far ahead of the others."
    if agreeing:
        basis += f" {len(agreeing) + 1} similar sessions were fixed the same way."

    cause = clip(
        f"Probably the same as a resolved session ({clip(best.problem, 90).rstrip('.?!')}), "
        f"which was fixed by: {_fix_said(best)}",
        _CAUSE_CHARS,
    )
    # Steps whose words overlap the matched session's story back the cause up.
    story = terms(best.problem) | best_words
    backing = [str(s.id) for s in material.steps if len(terms(f"{s.action} {s.result or ''}") & story) >= 2]
    return Assessment(
        likely_cause=sentence(cause),
        suggested_steps=steps,
        confidence=confidence,
        confidence_basis=basis,
        evidence=[str(best.id), *(str(m.id) for m in agreeing), *backing],
        similar_sessions=similar,
        grounded=True,
    )


# --- what we know -----------------------------------------------------------------------------------

_OUTCOME_WORDS = {"failed": "failed", "partial": "partly helped", "fixed": "fixed it"}


def _fact_for(step: StepMaterial) -> Fact:
    action = shorten(step.action, _ACTION_CHARS)
    result = shorten(step.result, _RESULT_CHARS) if step.result else ""
    if step.outcome in _OUTCOME_WORDS:
        text = f"{action}: {_OUTCOME_WORDS[step.outcome]}" + (f" ({result})" if result else "")
    elif result:
        text = f"{action}: {result}"
    else:
        text = f"Note: {action}"
    return Fact(text=shorten(text, _FACT_CHARS), step_ids=[str(step.id)])


def _listed(label: str, steps: Sequence[StepMaterial]) -> Fact:
    """Several steps in one fact, each named while they fit, all cited."""
    names: list[str] = []
    for n, step in enumerate(steps):
        name = shorten(step.action, _LIST_ACTION_CHARS)
        left = len(steps) - n - 1
        tail = f"; and {left} more" if left else ""
        if len(label) + len("; ".join([*names, name])) + len(tail) > _FACT_CHARS:
            names.append(f"and {len(steps) - n} more")
            break
        names.append(name)
    return Fact(text=label + "; ".join(names), step_ids=[str(s.id) for s in steps])


def known_facts(steps: Sequence[StepMaterial]) -> list[Fact]:
    """Up to MAX_FACTS facts, every one resting on steps; tried-and-failed first, oldest first."""
    attempts = [s for s in steps if s.outcome in ("failed", "partial", "fixed")]
    observations = [s for s in steps if s.outcome == "info" and s.result]
    notes = [s for s in steps if s.outcome == "info" and not s.result]

    chosen: list[tuple[datetime, Fact]] = []
    if len(attempts) > MAX_FACTS:
        # Keep the latest attempts whole; the older failures are named together in the first fact.
        whole = attempts[-(MAX_FACTS - 1) :]
        older = attempts[: len(attempts) - len(whole)]
        chosen.append((older[0].at, _listed("Also tried without success: ", older)))
        chosen.extend((s.at, _fact_for(s)) for s in whole)
    else:
        chosen.extend((s.at, _fact_for(s)) for s in attempts)
    for extra in (observations, notes):
        room = MAX_FACTS - len(chosen)
        chosen.extend((s.at, _fact_for(s)) for s in extra[:room] if room > 0)
    chosen.sort(key=lambda item: item[0])
    return [fact for _, fact in chosen]


def earlier_suggestions(suggested: Sequence[str], steps: Sequence[StepMaterial]) -> list[EarlierSuggestion]:
    """What the workspace suggested before the escalation, each marked tried or not by a later step."""
    out: list[EarlierSuggestion] = []
    for step in suggested:
        done = was_tried(step, steps)
        out.append(
            EarlierSuggestion(step=step, tried=done is not None, outcome=done.outcome if done else None)
        )
    return out


def summarize(
    material: SummaryMaterial,
    *,
    now: datetime,
    state: SummaryState = "draft",
    suggested_before: Sequence[str] = (),
    fallback_reason: str | None = None,
) -> Summary:
    """The whole offline summary of a handoff."""
    assessment = assess(material)
    facts = known_facts(material.steps)
    return Summary(
        ticket_note=writeups.ticket_note(
            material,
            cause=assessment.likely_cause,
            next_step=assessment.suggested_steps[0] if assessment.suggested_steps else None,
            grounded=assessment.grounded,
        ),
        what_we_know=[f.text for f in facts],
        facts=facts,
        likely_cause=assessment.likely_cause,
        suggested_steps=assessment.suggested_steps,
        confidence=assessment.confidence,
        confidence_basis=assessment.confidence_basis,
        evidence=assessment.evidence,
        similar_sessions=assessment.similar_sessions,
        engine=ENGINE,
        fallback_reason=fallback_reason,
        suggested_before=earlier_suggestions(suggested_before, material.steps),
        state=state,
        created_at=now,
        updated_at=now,
    )
