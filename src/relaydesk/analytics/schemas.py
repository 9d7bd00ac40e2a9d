"""Analytics in/out shapes: the escalation report and the account's baseline."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaydesk.analytics.models import MAX_BASELINE_SECONDS
from relaydesk.inputs import RequestModel


class ReportFilters(BaseModel):
    """Optional narrowing of the report; every filter combines with AND."""

    escalator: uuid.UUID | None = Field(default=None, description="Only escalations raised by this user.")
    claimer: uuid.UUID | None = Field(
        default=None, description="Only escalations currently claimed by this user."
    )
    category: str | None = Field(
        default=None, max_length=100, description="Session category, case-insensitive."
    )
    client: str | None = Field(
        default=None, max_length=200, description="Session client name, case-insensitive."
    )

    @field_validator("category", "client")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class ReportPeriod(BaseModel):
    label: str = Field(description="`7d`, `30d`, `90d`, or `custom` for from/to dates.")
    start: date = Field(description="First day counted (UTC), inclusive.")
    end: date = Field(description="Last day counted (UTC), inclusive.")
    days: int
    timezone: str = "UTC"


class Counts(BaseModel):
    escalations: int = Field(description="Escalations created in the period.")
    claimed: int = Field(description="Of those, currently held by a claimer (after any releases).")
    claimed_with_action: int = Field(description="Claimed, and the claimer logged a step after the claim.")
    claimed_without_action: int = Field(description="Claimed, no step by the claimer yet.")
    still_open: int = Field(
        description="Waiting in the queue, including released ones not yet claimed again."
    )
    withdrawn: int = Field(description="Withdrawn by the escalator before anyone claimed them.")
    closed_unclaimed: int = Field(description="Closed without a claim (neither open, withdrawn nor claimed).")
    released: int = Field(description="Escalations released back to the queue at least once.")
    releases: int = Field(description="Total number of releases.")


class Interval(BaseModel):
    """One interval's distribution, in seconds. All null when nothing was measured."""

    measured: int = Field(description="How many escalations the figures are over.")
    avg_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None
    p95_seconds: float | None


class TrendDay(BaseModel):
    date: date
    escalations: int
    claimed: int
    median_pickup_seconds: float | None
    median_first_action_seconds: float | None


class BaselineIn(RequestModel):
    baseline_handoff_seconds: int = Field(
        ge=1,
        le=MAX_BASELINE_SECONDS,
        description="Stopwatch time of a verbal handoff (the 'tell me what you tried' call), in seconds.",
    )
    measured_on: date = Field(description="The day the stopwatch figure was measured.")

    @field_validator("measured_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > datetime.now(UTC).date():
            raise ValueError("The measured date cannot be in the future")
        return value


class BaselineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    baseline_handoff_seconds: int
    measured_on: date
    set_by_id: uuid.UUID | None
    updated_at: datetime


class MinutesRecovered(BaseModel):
    """An estimate against the account's own baseline, never a measurement."""

    estimate: bool = True
    per_handoff_minutes: float | None = Field(
        description="Baseline minus the median time to first action, in minutes; negative when slower."
    )
    handoffs: int = Field(description="Escalations claimed with a first action in the period.")
    total_minutes: float | None = Field(description="per_handoff_minutes × handoffs.")
    baseline_handoff_seconds: int
    baseline_measured_on: date
    label: str


class VerdictCounts(BaseModel):
    """Verdicts on the cause, of one kind (answered by the claimer, or inferred at resolve)."""

    count: int
    yes: int
    partly: int
    no: int
    confirmed_share: float | None = Field(description="yes / count; null when there is none.")


class EngineAccuracy(BaseModel):
    engine: str = Field(description='"offline" or the model name, as recorded with the verdict.')
    answered: VerdictCounts
    inferred: VerdictCounts


class AccuracyDay(BaseModel):
    date: date
    answered: int
    answered_yes: int
    inferred: int
    inferred_yes: int


class SimilarHelp(BaseModel):
    shown: int = Field(
        description="Claimed escalations whose assessment showed at least one similar session."
    )
    helped: int = Field(description="Of those, escalations where the claimer marked one 'this helped'.")
    share: float | None = Field(description="helped / shown; null when none was shown.")


class AssessmentAccuracy(BaseModel):
    """How often the assessment's likely cause was confirmed, for the period's claimed escalations."""

    claimed: int = Field(description="Escalations created in the period and claimed.")
    answered: VerdictCounts = Field(description='"Was this the cause?" as the claimer answered it.')
    inferred: VerdictCounts = Field(
        description="Verdicts inferred at resolve, when the claimer gave none, from how much of the "
        "assessment the resolution holds."
    )
    no_verdict: int = Field(
        description="Claimed escalations with neither (not resolved yet, or no assessment)."
    )
    by_engine: list[EngineAccuracy] = Field(description="Per engine, most verdicts first.")
    trend: list[AccuracyDay] = Field(description="One entry per day of the period, empty days included.")
    similar: SimilarHelp


class TechnicianFigures(BaseModel):
    """One technician over the period: what they escalated and what they picked up."""

    user_id: uuid.UUID
    name: str
    escalations_made: int = Field(description="Escalations they raised in the period.")
    pickups: int = Field(description="Escalations of the period they currently hold as claimer.")
    median_pickup_seconds: float | None = Field(
        description="Median time to pickup of the escalations they picked up; null when none."
    )
    first_actions: int = Field(description="Of their pickups, how many have a first action.")
    median_first_action_seconds: float | None = Field(
        description="Median time from their claim to their first step; null when none."
    )
    made_link: str = Field(description="The Sessions page listing the sessions they escalated.")
    pickups_link: str = Field(description="The Sessions page listing the sessions they picked up.")


class EscalationReport(BaseModel):
    metric_definition: str
    definitions: dict[str, str]
    period: ReportPeriod
    filters: ReportFilters
    counts: Counts
    time_to_pickup: Interval
    time_to_first_action: Interval
    conversion: float | None = Field(
        description="claimed_with_action / claimed; null when nothing was claimed."
    )
    trend: list[TrendDay] = Field(description="One entry per day of the period, empty days included.")
    baseline: BaselineOut | None
    minutes_recovered: MinutesRecovered | None = Field(
        description="Null unless the account entered a baseline."
    )
    assessment: AssessmentAccuracy
    technicians: list[TechnicianFigures] = Field(
        description="Per technician with a figure in the period, by name (another account never)."
    )
    generated_at: datetime
