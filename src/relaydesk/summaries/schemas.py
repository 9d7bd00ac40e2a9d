"""Shapes of the summaries domain: the material that goes in, what the model must return, the summary.

`SummaryMaterial` is already redacted by the caller (invariant 7): nothing here looks for secrets.
`ModelAssessment` is the output schema the model is held to (tool / JSON-schema mode); its limits are
the hard edge, its descriptions ask for less, so a model that follows them stays well inside.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Literal, get_args, get_origin
from uuid import UUID

from pydantic import AliasChoices, BaseModel, Field, StringConstraints, TypeAdapter, ValidationError

Confidence = Literal["low", "medium", "high"]
SummaryState = Literal["pending", "draft", "ready"]
Outcome = Literal["fixed", "failed", "partial", "info"]

# The ticket note was called `summary_prose` before; stored summaries and model replies may still say so.
_TICKET_NOTE = AliasChoices("ticket_note", "summary_prose")

MAX_SUGGESTED_STEPS = 6
MAX_FACTS = 8
MAX_EVIDENCE = 12

_Fact = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=240)]
# Chip-sized: the screen shows each step as a button-like chip.
_Chip = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
_Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


MatchStrength = Literal["strong", "possible", "weak"]


class SimilarSession(BaseModel):
    """A resolved session of the same account that looks like this one, best first, already generalised
    (no other client's identifiers: identifiers.py). `strength` is the calibrated judgement of the match
    (similar.py): only strong and possible matches ground a cause or a chip; weak ones are listed as such."""

    id: UUID
    problem: str
    resolution: str
    score: float = Field(
        default=0.0, description="BM25 over the account's history, as a share of this query's best."
    )
    strength: MatchStrength = "possible"
    margin: float = Field(default=0.0, description="How far ahead of the next candidate (share of score).")
    fixing_steps: list[str] = Field(default_factory=list, description="Its steps marked fixed, generalised.")


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0


class Variants(BaseModel):
    """Tone shifts of the ticket-note prose, made on first request and cached (invariant 5)."""

    client_update: str | None = None
    email_draft: str | None = None


class StepMaterial(BaseModel):
    """One step as the engines see it: no database row, already redacted."""

    id: UUID
    action: str
    result: str | None = None
    outcome: Outcome
    author: str
    at: datetime


class SummaryMaterial(BaseModel):
    """Everything an engine may use to assess a handoff. Redacted by the caller before it is built."""

    problem: str
    category: str | None = None
    client: str | None = None
    contact_name: str | None = Field(default=None, description="The client's contact, for the client update.")
    ticket: str | None = None
    priority: str = "normal"
    reason: str | None = Field(default=None, description="Why the technician escalated or parked it.")
    notes: str | None = Field(default=None, description="The handoff notes.")
    steps: list[StepMaterial] = Field(default_factory=list, description="Oldest first.")
    similar_sessions: list[SimilarSession] = Field(default_factory=list, description="Best match first.")


class ModelAssessment(BaseModel):
    """A grounded assessment of an escalated IT troubleshooting session, for the engineer taking it over."""

    ticket_note: _Prose = Field(
        validation_alias=_TICKET_NOTE,
        description=(
            "A ticket note ready to paste into the PSA: 3 to 6 plain sentences, no markdown, no bullets. "
            "States the problem, what was tried and what happened, the likely cause and the next step."
        ),
    )
    what_we_know: list[_Fact] = Field(
        max_length=MAX_FACTS,
        description=(
            f"Up to {MAX_FACTS} short facts established by the steps or the notes, one per item, "
            "each under 25 words. No guesses."
        ),
    )
    likely_cause: _Sentence = Field(
        description=(
            "One sentence naming the most likely cause. If the material gives no basis, "
            "say the cause is not yet known."
        )
    )
    suggested_steps: list[_Chip] = Field(
        max_length=MAX_SUGGESTED_STEPS,
        description=(
            f"Up to {MAX_SUGGESTED_STEPS} next steps, most useful first, each a short imperative phrase "
            "under 8 words (e.g. 'Check the DHCP scope'). Never a step that was already tried."
        ),
    )
    confidence: Confidence = Field(
        description=(
            "high: the steps point directly at the cause, or a similar resolved session matches closely. "
            "medium: the cause is plausible but unconfirmed. low: little or no basis."
        )
    )
    evidence: list[_Label] = Field(
        max_length=MAX_EVIDENCE,
        description=(
            "Labels of the steps (S1, S2, ...) and similar sessions (P1, P2, ...) that support "
            "the likely cause. Empty when nothing does."
        ),
    )


class Fact(BaseModel):
    """One item of `what_we_know` with the steps it rests on."""

    text: str
    step_ids: list[str] = Field(default_factory=list)


class EarlierSuggestion(BaseModel):
    """A next step the workspace suggested before the escalation, and whether a step then tried it."""

    step: str
    tried: bool = False
    outcome: Outcome | None = Field(default=None, description="Outcome of the step that tried it.")


class VariantInfo(BaseModel):
    """How a cached variant was made; `source` fingerprints the ticket note it was made from."""

    engine: str
    fallback_reason: str | None = None
    source: str
    made_at: datetime


class Summary(BaseModel):
    """The one structured summary of a handoff (docs/architecture.md, "The summary"); the only reader
    and writer of `handoffs.summary`."""

    ticket_note: str = Field(validation_alias=_TICKET_NOTE)
    what_we_know: list[str] = Field(default_factory=list)
    facts: list[Fact] = Field(
        default_factory=list,
        description="what_we_know with the step ids each fact rests on (the offline engine's; empty when "
        "the model wrote what_we_know).",
    )
    likely_cause: str
    suggested_steps: list[str] = Field(default_factory=list)
    confidence: Confidence
    confidence_basis: str | None = Field(default=None, description="Why this confidence, in words.")
    evidence: list[str] = Field(default_factory=list, description="Step ids and similar-session ids.")
    similar_sessions: list[SimilarSession] = Field(default_factory=list)
    engine: str = Field(description='"offline" or the model name.')
    fallback_reason: str | None = Field(
        default=None, description="Why the model's answer is not the one shown, when it was tried and failed."
    )
    usage: Usage | None = None
    variants: Variants = Field(default_factory=Variants)
    variant_info: dict[str, VariantInfo] = Field(default_factory=dict)
    suggested_before: list[EarlierSuggestion] = Field(
        default_factory=list, description="What the workspace suggested before the escalation."
    )
    prompt_version: str | None = None
    state: SummaryState
    # Optional for rows written before they were kept; every writer sets both.
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def read(cls, raw: object) -> Summary | None:
        """The summary stored on a handoff, or None when there is none or it is not of this schema (an
        older or hand-written one): readers must never fail on a stored summary."""
        if isinstance(raw, Summary):
            return raw
        if not isinstance(raw, dict) or not raw:
            return None
        try:
            return cls.model_validate(raw)
        except ValidationError:
            pass
        # Keep what reads: an unreadable optional field takes its default, an unreadable item of a
        # list is left out; a summary whose cause, confidence, engine or state is unreadable is none.
        kept: dict[str, object] = {}
        for name, value in raw.items():
            field = "ticket_note" if name == "summary_prose" else name
            if field not in cls.model_fields:
                continue
            adapter = _field_adapter(field)
            try:
                kept[field] = adapter.validate_python(value)
                continue
            except ValidationError:
                pass
            item = _item_adapter(field)
            if item is not None and isinstance(value, list):
                readable = []
                for element in value:
                    try:
                        readable.append(item.validate_python(element))
                    except ValidationError:
                        continue
                kept[field] = readable
        kept.setdefault("ticket_note", "")
        try:
            return cls.model_validate(kept)
        except ValidationError:
            return None

    def stored(self) -> dict[str, object]:
        """The JSON written to `handoffs.summary`."""
        return self.model_dump(mode="json")


@cache
def _field_adapter(name: str) -> TypeAdapter[object]:
    annotation = Summary.model_fields[name].annotation
    assert annotation is not None
    return TypeAdapter(annotation)


@cache
def _item_adapter(name: str) -> TypeAdapter[object] | None:
    """For a list field, the adapter of one item."""
    annotation = Summary.model_fields[name].annotation
    if get_origin(annotation) is list:
        return TypeAdapter(get_args(annotation)[0])
    return None


class EmailDraft(BaseModel):
    """An email to the client about their issue, in parts so the layout is ours, not the model's."""

    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)] = Field(
        description="Short and specific, under 10 words."
    )
    greeting: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description='One line, e.g. "Hello,".'
    )
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)] = Field(
        description="2 to 4 short plain-language paragraphs separated by blank lines."
    )
    sign_off: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description='A closing line, then "Your IT support team" on the next line.'
    )

    def render(self) -> str:
        return f"Subject: {self.subject}\n\n{self.greeting}\n\n{self.body}\n\n{self.sign_off}"
