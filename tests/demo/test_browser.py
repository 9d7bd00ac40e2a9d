"""The demo path in a real browser, as the senior: the queue, two assessments, a claim, analytics."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from relaydesk.db.uow import Database
from relaydesk.demo import DEMO_PASSWORD, seed
from relaydesk.summaries.jobs import SummaryQueue

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")


async def summaries_made(db: Database) -> None:
    """What the worker does on the demo's first start: the offline assessments of the waiting two."""
    queue = SummaryQueue(config=None)
    while await queue.run_once(db):
        pass


async def sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', email)
    await page.fill('input[name="password"]', DEMO_PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')


async def test_senior_sees_two_assessed_escalations_claims_one_and_reads_analytics(
    live_server: str, browser: Browser, database_url: str, db: Database
) -> None:
    logins = dict(await seed(database_url))
    await summaries_made(db)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, live_server, logins["senior engineer"])

    await page.goto(f"{live_server}/queue")
    rows = page.locator("#queue .queue-item")
    assert await rows.count() == 2
    problems = await page.locator("#queue .queue-item .problem").all_inner_texts()
    assert any("Kyocera" in p for p in problems) and any("Outlook 2016" in p for p in problems)
    # An arrow function, not a string: the CSP (script-src 'self') forbids eval.
    await page.wait_for_function(
        "() => document.querySelector('[data-metric=\"escalations\"]').textContent.trim() !== '…'"
    )
    card = await page.inner_text(".analytics-card")
    assert "—" not in card, card  # the week's medians and conversion are figures, not dashes
    await page.screenshot(path=str(SHOTS / "relaydesk-demo-queue.png"), full_page=True)

    # The recurring problem: the assessment names the same fix at other clients.
    async with page.expect_navigation():
        await page.click("#queue .queue-item a:has-text('Kyocera')")
    assessment = page.locator("#assessment")
    assert "being prepared" not in await assessment.inner_text()
    similar = await assessment.locator(".similar li").all_inner_texts()
    assert any("Scan to email on the Kyocera TASKalfa" in s for s in similar), similar
    assert "SmtpClientAuthentication" in await assessment.inner_text()
    await page.screenshot(path=str(SHOTS / "relaydesk-demo-pickup.png"), full_page=True)
    scan_pickup = page.url

    # The new problem: nothing like it in the history; the finding is in its own last step.
    await page.goto(f"{live_server}/queue")
    async with page.expect_navigation():
        await page.click("#queue .queue-item a:has-text('Outlook 2016')")
    assert "EnableADAL=0" in await page.inner_text(".pickup-main")
    assessment = page.locator("#assessment")
    assert "being prepared" not in await assessment.inner_text()
    # Past sessions may be listed, but only as weak matches: the cause is the lead from its own steps.
    assert await assessment.locator(".similar .score.strong, .similar .score.possible").count() == 0
    assert "EnableADAL=0" in await assessment.locator(".cause").inner_text()
    await page.screenshot(path=str(SHOTS / "relaydesk-demo-pickup-lead.png"), full_page=True)

    await page.goto(scan_pickup)
    async with page.expect_navigation():
        await page.click("#start-here button:has-text('Continue where they left off')")
    assert "/pickup" not in page.url
    await page.goto(f"{live_server}/queue")
    assert await page.locator("#queue .queue-item").count() == 1

    await page.goto(f"{live_server}/analytics?period=30d")
    figures = page.locator(".an-figures dd")
    texts = await figures.all_inner_texts()
    escalations, pickup, first_action, conversion = (t.split("\n")[0].strip() for t in texts[:4])
    assert int(escalations) >= 8, texts
    assert pickup not in ("—", "0 s") and first_action not in ("—", "0 s"), texts
    assert conversion.endswith("%") and conversion != "0%", texts
    await page.screenshot(path=str(SHOTS / "relaydesk-demo-analytics.png"), full_page=True)
    await context.close()
