"""Masked secrets in a real browser: a step typed with a marked and a found secret, then Reveal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from relaydesk.db.uow import Database
from tests.factories import PASSWORD, Member, make_account, make_session, make_user
from tests.web.conftest import browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("RELAYDESK_SCREENSHOTS")


async def sign_in(page: Page, base: str, member: Member) -> None:
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', member.user.email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')


async def test_a_typed_step_shows_its_secrets_masked_and_reveal_shows_one(
    live_server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    account = await make_account(db)
    member = await make_user(db, account, role="engineer")
    session = await make_session(db, member, problem="Door controller offline after the power cut")
    page = await (await browser.new_context()).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, live_server, member)

    await page.goto(f"{live_server}/sessions/{session.id}")
    await page.fill("#step-action", "Logged in to the door controller as admin, code [[secret:Gate4471Door]]")
    await page.fill("#step-result", "Web UI accepted admin / Ctrl#Pa55word, relay 2 still stuck")
    async with page.expect_navigation():
        await page.press("#step-result", "Enter")

    step = page.locator("#steps li").last
    await step.wait_for()
    text = await step.inner_text()
    assert "Gate4471Door" not in text and "Ctrl#Pa55word" not in text
    assert "•••••• marked secret" in text and "•••••• password" in text
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / "workspace-masked.png"), full_page=True)

    await step.locator(".secret-mask button.reveal").first.click()
    await page.wait_for_function("() => document.querySelector('#steps .secret-mask.revealed') !== null")
    assert "Gate4471Door" in await step.inner_text()
    assert "Ctrl#Pa55word" not in await step.inner_text()  # only the one asked for
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / "workspace-revealed.png"), full_page=True)
    assert errors == []
