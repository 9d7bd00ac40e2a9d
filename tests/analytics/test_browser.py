"""The queue's metric card in a real browser: its few lines of script fill in the week's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Route

from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from relaydesk.web.templating import templates
from tests import browser as helpers
from tests.analytics.conftest import Team, add_escalation, s
from tests.factories import PASSWORD


async def test_card_fills_in_from_the_api(settings: Settings, db: Database, team: Team) -> None:
    try:
        helpers.require_chromium()
    except RuntimeError as exc:  # fail, never skip: a silent skip hides a broken setup
        pytest.fail(str(exc), pytrace=False)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    await add_escalation(
        db, team.junior, created_at=now, claimer=team.senior, claimed_at=now + s(150),
        steps=[(team.senior, now + s(150 + 45))],
    )  # fmt: skip
    await add_escalation(db, team.junior, created_at=now + s(60), claimer=team.senior, claimed_at=now + s(90))
    card = templates.get_template("analytics/_card.html").render(actor=team.senior.actor)
    # a stand-in for the queue page: the card included in a page of the app's own origin
    page_html = (
        '<!doctype html><html><head><link rel="stylesheet" href="/static/app.css"></head>'
        f"<body>{card}</body></html>"
    )

    with helpers.live_server(settings) as base:
        async with helpers.chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"{base}/login")
            await page.fill("input[name=email]", team.senior.user.email)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/sessions")

            async def queue_page(route: Route) -> None:
                await route.fulfill(status=200, content_type="text/html", body=page_html)

            await page.route(f"{base}/card-host", queue_page)
            await page.goto(f"{base}/card-host")
            escalations = page.locator('[data-metric="escalations"]')
            await escalations.filter(has_text="2").wait_for(timeout=10_000)
            assert (
                await page.locator('[data-metric="pickup"]').text_content() == "1 min 30 s"
            )  # median of 30 s, 150 s
            assert await page.locator('[data-metric="first_action"]').text_content() == "45 s"
            assert await page.locator('[data-metric="conversion"]').text_content() == "50%"
