"""The escalation report against hand-computed fixtures: each statistic, the edge cases, the range rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from relaydesk.analytics import service as analytics
from relaydesk.analytics.schemas import BaselineIn, EscalationReport, ReportFilters
from relaydesk.db.uow import Database
from relaydesk.errors import BadInput, NotPermitted
from tests.analytics.conftest import DAY1, DAY2, Team, add_escalation, known_dataset, make_team, s
from tests.factories import Member

START, END = date(2026, 3, 1), date(2026, 3, 4)


async def report(
    db: Database, member: Member, *, start: date = START, end: date = END, **kwargs: object
) -> EscalationReport:
    async with db.uow(member.actor.account_id) as uow:
        return await analytics.escalation_report(uow, member.actor, start=start, end=end, **kwargs)  # type: ignore[arg-type]


async def test_each_statistic_on_a_known_dataset(db: Database, team: Team) -> None:
    await known_dataset(db, team)
    r = await report(db, team.senior)

    c = r.counts
    assert (c.escalations, c.claimed, c.claimed_with_action, c.claimed_without_action) == (7, 5, 4, 1)
    assert (c.still_open, c.withdrawn, c.closed_unclaimed, c.released, c.releases) == (1, 1, 0, 0, 0)

    p = r.time_to_pickup
    assert p.measured == 5
    assert p.avg_seconds == pytest.approx(240)
    assert p.median_seconds == pytest.approx(180)
    assert p.p90_seconds == pytest.approx(456)  # 240 + 0.6 × (600 − 240)
    assert p.p95_seconds == pytest.approx(528)  # 240 + 0.8 × (600 − 240)

    a = r.time_to_first_action
    assert a.measured == 4
    assert a.avg_seconds == pytest.approx(142.5)
    assert a.median_seconds == pytest.approx(120)  # between 90 and 150
    assert a.p90_seconds == pytest.approx(255)  # 150 + 0.7 × (300 − 150)
    assert a.p95_seconds == pytest.approx(277.5)  # 150 + 0.85 × (300 − 150)

    assert r.conversion == pytest.approx(0.8)
    assert "not" in r.metric_definition and "time saved" in r.metric_definition
    assert r.minutes_recovered is None and r.baseline is None

    # the trend: one entry per day, empty days as zero and null
    assert [(d.date, d.escalations, d.claimed) for d in r.trend] == [
        (date(2026, 3, 1), 0, 0),
        (date(2026, 3, 2), 3, 2),
        (date(2026, 3, 3), 4, 3),
        (date(2026, 3, 4), 0, 0),
    ]
    assert [(d.median_pickup_seconds, d.median_first_action_seconds) for d in r.trend] == [
        (None, None),
        (pytest.approx(90), pytest.approx(60)),  # pickups 60, 120; actions 30, 90
        (pytest.approx(240), pytest.approx(225)),  # pickups 180, 240, 600; actions 150, 300
        (None, None),
    ]


async def test_empty_account_gives_zeros_and_nulls(db: Database, team: Team) -> None:
    r = await report(db, team.senior)
    assert r.counts.model_dump() == dict.fromkeys(r.counts.model_dump(), 0)
    for interval in (r.time_to_pickup, r.time_to_first_action):
        assert interval.measured == 0
        assert interval.avg_seconds is interval.median_seconds is interval.p90_seconds is None
        assert interval.p95_seconds is None
    assert r.conversion is None and r.minutes_recovered is None
    assert len(r.trend) == 4 and all(d.escalations == 0 and d.median_pickup_seconds is None for d in r.trend)


async def test_clock_drift_is_floored_at_zero(db: Database, team: Team) -> None:
    t = DAY1 + timedelta(hours=9)
    # the claiming replica's clock ran 5 s behind the escalating one; the claimer's first step was
    # stamped by a third replica 10 s "before" the claim
    await add_escalation(
        db, team.junior, created_at=t, claimer=team.senior, claimed_at=t - s(5),
        steps=[(team.senior, t - s(15))],
    )  # fmt: skip
    r = await report(db, team.senior)
    assert r.time_to_pickup.median_seconds == 0 and r.time_to_pickup.measured == 1
    assert r.time_to_first_action.median_seconds == 0 and r.time_to_first_action.measured == 1
    assert r.time_to_pickup.avg_seconds == 0 and r.time_to_first_action.p95_seconds == 0


async def test_a_step_well_before_the_claim_is_not_the_first_action(db: Database, team: Team) -> None:
    t = DAY1 + timedelta(hours=9)
    tolerance = analytics.CLOCK_DRIFT_TOLERANCE.total_seconds()
    await add_escalation(
        db, team.junior, created_at=t, claimer=team.senior, claimed_at=t + s(100),
        steps=[(team.senior, t + s(100 - tolerance - 1))],
    )  # fmt: skip
    r = await report(db, team.senior)
    assert (r.counts.claimed, r.counts.claimed_with_action, r.counts.claimed_without_action) == (1, 0, 1)
    assert r.time_to_first_action.median_seconds is None and r.conversion == 0


async def test_unclaimed_and_claimed_without_action_are_counted_not_timed(db: Database, team: Team) -> None:
    t = DAY1 + timedelta(hours=9)
    await add_escalation(db, team.junior, created_at=t)  # open
    await add_escalation(db, team.junior, created_at=t + s(1), status="withdrawn")
    await add_escalation(db, team.junior, created_at=t + s(2), status="closed")
    await add_escalation(db, team.junior, created_at=t + s(3), claimer=team.senior, claimed_at=t + s(303))
    r = await report(db, team.senior)
    c = r.counts
    assert (c.escalations, c.still_open, c.withdrawn, c.closed_unclaimed) == (4, 1, 1, 1)
    assert (c.claimed, c.claimed_with_action, c.claimed_without_action) == (1, 0, 1)
    assert r.time_to_pickup.measured == 1 and r.time_to_pickup.median_seconds == pytest.approx(300)
    assert r.time_to_first_action.measured == 0 and r.time_to_first_action.median_seconds is None
    assert r.conversion == 0


async def test_a_release_keeps_the_first_creation_and_counts(db: Database, team: Team) -> None:
    t = DAY1 + timedelta(hours=9)
    # Sam claimed at +50 s, worked, released at +200 s; Kim claimed at +300 s and acted at +320 s
    await add_escalation(
        db, team.junior, created_at=t, claimer=team.senior2, claimed_at=t + s(300),
        first_claimed_at=t + s(50), released_at=t + s(200), release_count=1,
        steps=[(team.senior, t + s(100)), (team.senior2, t + s(320))],
    )  # fmt: skip
    # released twice and waiting again
    await add_escalation(db, team.junior, created_at=t + s(10), released_at=t + s(400), release_count=2)
    # Kim's own earlier step (before the last release) is not her first action after the re-claim
    await add_escalation(
        db, team.junior, created_at=t + s(20), claimer=team.senior2, claimed_at=t + s(900),
        released_at=t + s(800), release_count=1, steps=[(team.senior2, t + s(790))],
    )  # fmt: skip
    r = await report(db, team.senior)
    assert (r.counts.released, r.counts.releases, r.counts.still_open, r.counts.claimed) == (3, 4, 1, 2)
    # pickups: 300 s (first creation to Kim's claim, through the release) and 880 s
    assert r.time_to_pickup.avg_seconds == pytest.approx(590)
    assert r.time_to_pickup.p90_seconds == pytest.approx(822)  # 300 + 0.9 × 580
    assert r.time_to_first_action.measured == 1 and r.time_to_first_action.median_seconds == pytest.approx(20)


async def test_period_boundaries_are_utc_days_both_ends_included(db: Database, team: Team) -> None:
    tick = timedelta(microseconds=1)
    for at in (DAY1 - tick, DAY1, DAY2 - tick, DAY2):
        await add_escalation(db, team.junior, created_at=at)
    one_day = await report(db, team.senior, start=DAY1.date(), end=DAY1.date())
    assert one_day.counts.escalations == 2 and one_day.period.days == 1
    assert [(d.date, d.escalations) for d in one_day.trend] == [(DAY1.date(), 2)]
    two_days = await report(db, team.senior, start=DAY1.date(), end=DAY2.date())
    assert two_days.counts.escalations == 3

    # period=7d is today and the six days before it
    today = DAY2.date()
    async with db.uow(team.account.id) as uow:
        week = await analytics.escalation_report(uow, team.senior.actor, period="7d", today=today)
    assert (week.period.start, week.period.end, week.period.days) == (today - timedelta(days=6), today, 7)
    assert week.counts.escalations == 4 and len(week.trend) == 7


async def test_other_accounts_are_never_counted(db: Database, team: Team) -> None:
    await known_dataset(db, team)
    other = await make_team(db, name="Other MSP")
    t = DAY1 + timedelta(hours=10)
    await add_escalation(db, other.junior, created_at=t, claimer=other.senior, claimed_at=t + s(5))
    # even a step by this account's claimer id in the other account's data changes nothing
    mine = await report(db, team.senior)
    theirs = await report(db, other.senior)
    assert mine.counts.escalations == 7 and mine.time_to_pickup.median_seconds == pytest.approx(180)
    assert theirs.counts.escalations == 1 and theirs.time_to_pickup.median_seconds == pytest.approx(5)
    # filtering on another account's user finds nothing
    none = await report(db, team.senior, filters=ReportFilters(claimer=other.senior.user.id))
    assert none.counts.escalations == 0


async def test_filters(db: Database, team: Team) -> None:
    await known_dataset(db, team)
    t = DAY1 + timedelta(hours=20)
    await add_escalation(
        db, team.senior2, created_at=t, claimer=team.senior, claimed_at=t + s(30),
        category="Network", client="Globex",
    )  # fmt: skip
    by_claimer = await report(db, team.senior, filters=ReportFilters(claimer=team.senior2.user.id))
    assert by_claimer.counts.escalations == 2 and by_claimer.time_to_pickup.median_seconds == pytest.approx(
        180
    )
    by_escalator = await report(db, team.senior, filters=ReportFilters(escalator=team.senior2.user.id))
    assert by_escalator.counts.escalations == 1
    by_category = await report(db, team.senior, filters=ReportFilters(category="network"))
    assert by_category.counts.escalations == 1 and by_category.time_to_pickup.median_seconds == 30
    by_client = await report(db, team.senior, filters=ReportFilters(client="ACME"))
    assert by_client.counts.escalations == 7
    both = await report(db, team.senior, filters=ReportFilters(client="Acme", category="Network"))
    assert both.counts.escalations == 0


async def test_minutes_recovered_only_against_a_baseline(db: Database, team: Team) -> None:
    await known_dataset(db, team)
    assert (await report(db, team.senior)).minutes_recovered is None
    async with db.uow(team.account.id) as uow:
        await analytics.set_baseline(
            uow, team.owner.actor, BaselineIn(baseline_handoff_seconds=300, measured_on=date(2026, 2, 1))
        )
    r = await report(db, team.senior)
    m = r.minutes_recovered
    assert m is not None and m.estimate is True
    assert m.per_handoff_minutes == pytest.approx(3.0)  # (300 − median 120) / 60
    assert m.handoffs == 4 and m.total_minutes == pytest.approx(12.0)
    assert m.baseline_handoff_seconds == 300 and m.baseline_measured_on == date(2026, 2, 1)
    assert "Estimate" in m.label and "2026-02-01" in m.label
    # with a baseline but nothing measured: the estimate says so rather than claiming zero
    empty = await report(db, team.senior, start=date(2026, 1, 1), end=date(2026, 1, 2))
    assert empty.minutes_recovered is not None and empty.minutes_recovered.per_handoff_minutes is None
    # another account's baseline does not apply
    other = await make_team(db, name="Other MSP")
    assert (await report(db, other.senior)).minutes_recovered is None


async def test_who_may_read_and_who_may_set_the_baseline(db: Database, team: Team) -> None:
    with pytest.raises(NotPermitted):
        await report(db, team.viewer)
    for member in (team.junior, team.admin, team.owner):
        await report(db, member)
    baseline = BaselineIn(baseline_handoff_seconds=240, measured_on=date(2026, 2, 1))
    for member in (team.junior, team.viewer):
        async with db.uow(team.account.id) as uow:
            with pytest.raises(NotPermitted):
                await analytics.set_baseline(uow, member.actor, baseline)
    async with db.uow(team.account.id) as uow:
        out = await analytics.set_baseline(uow, team.admin.actor, baseline)
    assert out.set_by_id == team.admin.user.id


@pytest.mark.parametrize(
    ("period", "start", "end", "message"),
    [
        ("5d", None, None, "Unknown period"),
        ("", None, None, "Unknown period"),
        (None, date(2026, 3, 5), date(2026, 3, 4), "after"),
        (None, date(2025, 1, 1), date(2026, 1, 2), "over a year"),
        (None, None, date(2026, 1, 2), "needs a 'from'"),
        ("7d", date(2026, 1, 1), None, "not both"),
    ],
)
def test_bad_ranges(period: str | None, start: date | None, end: date | None, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        analytics.resolve_range(period, start, end, today=date(2026, 3, 4))


def test_good_ranges() -> None:
    today = date(2026, 3, 4)
    assert analytics.resolve_range(None, None, None, today=today).days == 30
    assert analytics.resolve_range("90d", None, None, today=today).start == date(2025, 12, 5)
    year = analytics.resolve_range(None, date(2025, 1, 1), date(2026, 1, 1), today=today)
    assert year.days == 366  # a leap-year's worth is the most allowed
    open_ended = analytics.resolve_range(None, date(2026, 3, 1), None, today=today)
    assert (open_ended.start, open_ended.end) == (date(2026, 3, 1), today)


async def test_baseline_rows_are_bound_by_row_level_security(db: Database, team: Team) -> None:
    other = await make_team(db, name="Other MSP")
    async with db.uow(team.account.id) as uow:
        await analytics.set_baseline(
            uow, team.owner.actor, BaselineIn(baseline_handoff_seconds=300, measured_on=date(2026, 2, 1))
        )
    # scoped to the other account, the app role neither sees nor forges the row
    async with db.uow(other.account.id) as uow:
        assert await uow.scalar(text("SELECT count(*) FROM analytics_baselines")) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.uow(other.account.id) as uow:
            await uow.result(
                text(
                    "INSERT INTO analytics_baselines (account_id, baseline_handoff_seconds, measured_on) "
                    "VALUES (:a, 60, '2026-01-01')"
                ),
                {"a": team.account.id},
            )
