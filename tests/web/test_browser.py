"""The pages in a real browser: sign in, open a session, log steps from the keyboard; screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Browser, Page

from relaydesk.demo import DEMO_PASSWORD, seed
from tests.web.conftest import Seeded

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")


async def sign_in(page: Page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', email)
    await page.fill('input[name="password"]', password)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')
    assert page.url == f"{base}/sessions", await page.content()


async def active_id(page: Page) -> str | None:
    return await page.evaluate("document.activeElement ? document.activeElement.id : null")


async def test_sign_in_open_a_session_and_log_steps_by_keyboard(
    live_server: str, browser: Browser, seeded: Seeded
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, live_server, seeded.email, seeded.password)

    await page.click("main a.button:has-text('New session')")
    await page.wait_for_url(f"{live_server}/sessions/new")
    await page.fill('textarea[name="problem_summary"]', "Outlook stops syncing after the password change")
    await page.fill('input[name="client_name"]', "Harbor Dental")
    await page.fill('input[name="ticket_id"]', "48213")
    await page.fill('input[name="category"]', "Email")
    await page.select_option('select[name="priority"]', "high")
    async with page.expect_navigation():
        await page.click("button:has-text('Start session')")
    assert re.fullmatch(rf"{live_server}/sessions/[0-9a-f-]{{36}}", page.url), page.url
    assert "Outlook stops syncing after the password change" in await page.inner_text("h1")

    await page.focus("#step-action")
    await page.keyboard.type("Recreated the Outlook profile")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Same error 0x800CCC0E")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith("#add-step")
    assert await active_id(page) == "step-action", "focus must come back to the action field"

    # The second step from the keyboard alone: no click, no focus() call.
    await page.keyboard.type("Cleared cached credentials in Credential Manager")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Synced; prompt gone")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await active_id(page) == "step-action"

    actions = await page.locator("#steps .step .action").all_inner_texts()
    results = await page.locator("#steps .step .result").all_inner_texts()
    assert actions == ["Recreated the Outlook profile", "Cleared cached credentials in Credential Manager"]
    assert results == ["Same error 0x800CCC0E", "Synced; prompt gone"]
    await context.close()


async def _no_sideways_scroll(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size}"


@pytest.mark.parametrize(("width", "height", "label"), [(1280, 900, "desktop"), (390, 844, "phone")])
async def test_demo_pages_fit_and_screenshots(
    live_server: str,
    browser: Browser,
    database_url: str,
    admin_conn: psycopg.Connection,
    width: int,
    height: int,
    label: str,
) -> None:
    """The seeded demo at desktop and phone widths: no page scrolls sideways; screenshots for a human eye."""
    logins = dict(await seed(database_url))
    phone = label == "phone"
    context = await browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
    )
    page = await context.new_page()

    await page.goto(f"{live_server}/login")
    await page.screenshot(path=str(SHOTS / f"relaydesk-login-{width}.png"), full_page=True)
    await _no_sideways_scroll(page)
    await sign_in(page, live_server, logins["junior engineer"], DEMO_PASSWORD)
    await page.screenshot(path=str(SHOTS / f"relaydesk-sessions-{width}.png"), full_page=True)
    await _no_sideways_scroll(page)

    async with page.expect_navigation():
        await page.click("text=Outlook 2016 on the check-in desk PC")
    await page.screenshot(path=str(SHOTS / f"relaydesk-workspace-{width}.png"), full_page=True)
    await _no_sideways_scroll(page)
    assert await page.locator("#steps .step").count() == 4

    # A resolved session of theirs that went through the queue: their steps, then the senior's.
    escalated = admin_conn.execute(
        "SELECT s.id FROM sessions s JOIN handoffs h ON h.session_id = s.id "
        "JOIN users u ON u.id = s.owner_id WHERE u.email = %s AND s.status = 'resolved' "
        "AND h.status = 'claimed' ORDER BY s.ticket_id LIMIT 1",
        (logins["junior engineer"],),
    ).fetchone()
    assert escalated is not None
    await page.goto(f"{live_server}/sessions/{escalated[0]}")
    await page.screenshot(path=str(SHOTS / f"relaydesk-resolved-{width}.png"), full_page=True)
    await _no_sideways_scroll(page)
    assert await page.locator("#steps .step").count() >= 2
    await context.close()

    # Every demo session (long URLs, paths and log lines included) fits, seen by the owner who sees all.
    context = await browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
    )
    page = await context.new_page()
    await sign_in(page, live_server, logins["owner"], DEMO_PASSWORD)
    ids = [row[0] for row in admin_conn.execute("SELECT id FROM sessions ORDER BY created_at").fetchall()]
    assert len(ids) >= 60
    for session_id in ids:
        response = await page.goto(f"{live_server}/sessions/{session_id}")
        assert response is not None and response.status == 200
        await _no_sideways_scroll(page)
    await context.close()
