"""In a real browser: the claimer clicks "Yes" under the assessment; the analytics page then counts it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests import browser as helpers
from tests.factories import PASSWORD
from tests.feedback.conftest import Team, claimed_escalation

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("RELAYDESK_SCREENSHOTS")


async def test_answer_then_see_it_counted(
    settings: Settings, db: Database, client: httpx.AsyncClient, team: Team
) -> None:
    try:
        helpers.require_chromium()
    except RuntimeError as exc:  # fail, never skip: a silent skip hides a broken setup
        pytest.fail(str(exc), pytrace=False)
    handoff = await claimed_escalation(db, client, team)
    with helpers.live_server(settings) as base:
        async with helpers.chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 1000})
            await page.goto(f"{base}/login")
            await page.fill("input[name=email]", team.senior.user.email)
            await page.fill("input[name=password]", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/sessions")
            await page.goto(f"{base}/sessions/{handoff.session_id}?briefing=1")
            panel = page.locator("#briefing .assessment-feedback")
            await panel.get_by_role("button", name="Yes").click()
            await page.wait_for_load_state()
            pressed = panel.locator('button[aria-pressed="true"]')
            assert await pressed.all_text_contents() == ["Yes"]
            await panel.get_by_role("button", name="This helped").first.click()
            await page.wait_for_load_state()
            assert await panel.locator('button[aria-pressed="true"]').count() == 2
            if SHOTS:
                await panel.scroll_into_view_if_needed()
                await page.screenshot(path=str(Path(SHOTS) / "feedback-workspace.png"), full_page=True)
            await page.goto(f"{base}/analytics?period=7d")
            section = page.locator("#assessment-accuracy")
            text = await section.text_content() or ""
            assert "Confirmed, answered" in text and "100%" in text and "1 yes" in text
            if SHOTS:
                await section.screenshot(path=str(Path(SHOTS) / "feedback-analytics.png"))
