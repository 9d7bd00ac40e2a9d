"""The analytics page and the queue card: figures, chart and table, definitions, the baseline form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from relaydesk.db.uow import Database
from relaydesk.web.templating import templates
from tests.analytics.conftest import Team, known_dataset
from tests.factories import Member, login

RANGE = "/analytics?period=custom&from=2026-03-01&to=2026-03-04"


@asynccontextmanager
async def signed_in(app: FastAPI, member: Member) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as browser:
        assert (await login(browser, member.user.email)).status_code == 303
        yield browser


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_page_shows_figures_chart_table_and_definitions(app: FastAPI, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    async with signed_in(app, team.junior) as browser:
        page = await browser.get(RANGE)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'They are not "time saved"' in html or "They are not &#34;time saved&#34;" in html
    assert "3 min" in html  # median pickup 180 s
    assert "2 min" in html  # median first action 120 s
    assert "80%" in html  # conversion
    # two server-rendered SVG charts with titles, a text legend (not colour alone), and the table fallback
    assert html.count('<svg class="an-chart"') == 2 and "<title" in html
    assert "dashed, squares: time to first action" in html and "solid, circles: time to pickup" in html
    assert "stroke-dasharray" in html
    table = html.split('aria-label="Daily figures"', 1)[1]
    assert "2026-03-02" in table and "1 min 30 s" in table  # day 1 median pickup 90 s
    # the definitions are on the page
    for term in ("Time to pickup", "Time to first action", "Conversion", "Minutes recovered"):
        assert f"<dt>{term}</dt>" in html
    # an engineer sees no baseline form
    assert 'action="/analytics/baseline"' not in html
    assert "Not shown: no baseline has been entered" in html


async def test_nav_link_for_workers_not_viewers(app: FastAPI, db: Database, team: Team) -> None:
    async with signed_in(app, team.junior) as browser:
        assert 'href="/analytics"' in (await browser.get("/sessions")).text
    async with signed_in(app, team.viewer) as browser:
        assert 'href="/analytics"' not in (await browser.get("/sessions")).text
        page = await browser.get("/analytics")
        assert page.status_code == 403 and "viewer" in page.text


async def test_bad_range_on_the_page_says_why(app: FastAPI, db: Database, team: Team) -> None:
    async with signed_in(app, team.junior) as browser:
        after = await browser.get("/analytics?period=custom&from=2026-03-05&to=2026-03-01")
        assert after.status_code == 422 and "is after" in after.text
        assert '<select name="period">' in after.text  # the form is still there to fix it
        bad = await browser.get("/analytics?period=12d")
        assert bad.status_code == 422 and "Unknown period" in bad.text
        garbled = await browser.get("/analytics?period=custom&from=yesterday")
        assert garbled.status_code == 422 and "must be a date" in garbled.text
        # empty filter fields from the form mean "no filter"
        blank = await browser.get("/analytics?period=7d&from=&to=&escalator=&claimer=&category=&client=")
        assert blank.status_code == 200


async def test_owner_sets_the_baseline_on_the_page(app: FastAPI, db: Database, team: Team) -> None:
    await known_dataset(db, team)
    async with signed_in(app, team.owner) as browser:
        page = await browser.get(RANGE)
        assert 'action="/analytics/baseline"' in page.text
        token = csrf(page.text)
        form = {"minutes": "5", "seconds": "0", "measured_on": "2026-02-01", "action": "save"}
        # no CSRF token: refused, nothing written
        refused = await browser.post("/analytics/baseline", data=form)
        assert refused.status_code == 403
        assert "No baseline entered." in (await browser.get(RANGE)).text
        # nonsense: the form comes back with the reason and what was typed
        bad = await browser.post("/analytics/baseline", data={**form, "minutes": "five", "csrf_token": token})
        assert bad.status_code == 422 and "whole numbers" in bad.text and 'value="five"' in bad.text
        zero = await browser.post(
            "/analytics/baseline", data={**form, "minutes": "0", "seconds": "0", "csrf_token": token}
        )
        assert zero.status_code == 422 and "greater than or equal to 1" in zero.text
        saved = await browser.post("/analytics/baseline", data={**form, "csrf_token": token})
        assert saved.status_code == 303
        after = await browser.get(RANGE)
        assert (
            "About 3.0 min per handoff" in after.text
            and "Estimate against your baseline of 5 min" in after.text
        )
        assert "measured on 2026-02-01" in after.text
        cleared = await browser.post("/analytics/baseline", data={"action": "clear", "csrf_token": token})
        assert cleared.status_code == 303
        assert "No baseline entered." in (await browser.get(RANGE)).text


async def test_engineer_cannot_post_the_baseline_form(app: FastAPI, db: Database, team: Team) -> None:
    async with signed_in(app, team.junior) as browser:
        token = csrf((await browser.get("/analytics")).text)
        form = {"minutes": "5", "seconds": "0", "measured_on": "2026-02-01", "csrf_token": token}
        assert (await browser.post("/analytics/baseline", data=form)).status_code == 403


def test_card_reads_the_week_report_and_is_hidden_from_viewers(team: Team) -> None:
    card = templates.get_template("analytics/_card.html")
    html = card.render(actor=team.junior.actor)
    assert 'data-analytics-card="/api/v1/analytics/escalations?period=7d"' in html
    for metric in ("pickup", "first_action", "conversion", "escalations"):
        assert f'data-metric="{metric}"' in html
    assert "not time saved" in html
    assert card.render(actor=team.viewer.actor).strip() == ""
    assert card.render(actor=None).strip() == ""
    # included the way the queue page does, it renders without any context of its own
    queue = templates.env.from_string('{% include "analytics/_card.html" ignore missing %}')
    assert re.search(r"Median time to pickup", queue.render(actor=team.owner.actor))
