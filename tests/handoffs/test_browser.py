"""Escalate and pick up in real browsers: one junior, two seniors racing; screenshots at two widths."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from relaydesk.db.uow import Database
from tests.factories import PASSWORD, Member, escalate, make_account, make_session, make_step, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")
STEPS = [
    ("Recreated the Outlook profile", "Same error 0x800CCC0E", "failed"),
    ("Checked the mailbox in OWA", "Mail arrives in OWA", "partial"),
    ("User says it started after the password change", None, "info"),
    ("Cleared Credential Manager entries", "Still prompts for the password", "failed"),
]


async def _open(
    browser: Browser, base: str, member: Member, *, width: int = 1280
) -> tuple[BrowserContext, Page]:
    phone = width < 600
    context = await browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900}, is_mobile=phone, has_touch=phone
    )
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', member.user.email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')
    assert page.url == f"{base}/sessions", await page.content()
    return context, page


async def _focused(page: Page) -> str:
    """The focused element's id, or its text when it has none."""
    return await page.evaluate("(e => e ? e.id || e.textContent.trim() : '')(document.activeElement)")


async def _no_sideways_scroll(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size}"


async def test_junior_escalates_senior_picks_up_second_senior_is_told(
    live_server: str, browser: Browser, db: Database
) -> None:
    account = await make_account(db, name="Harbor IT")
    jane = await make_user(db, account, name="Jane Doe", email="jane@harbor.example")
    sam = await make_user(db, account, name="Sam Lee", email="sam@harbor.example")
    kim = await make_user(db, account, name="Kim Park", email="kim@harbor.example")
    session = await make_session(
        db, jane, problem="Outlook stops syncing after the password change", client="Harbor Dental"
    )
    for action, result, outcome in STEPS:
        await make_step(db, jane, session, action=action, result=result, outcome=outcome)
    workspace_url = f"{live_server}/sessions/{session.id}"
    pickup_url = f"{workspace_url}/pickup"

    # The junior escalates from the workspace form, from the keyboard.
    jane_ctx, jane_page = await _open(browser, live_server, jane)
    await jane_page.goto(workspace_url)
    await jane_page.click(".session-actions a:has-text('Escalate')")
    assert await _focused(jane_page) == "escalate-reason"
    await jane_page.keyboard.type("Out of ideas after the profile rebuild")
    await jane_page.fill('textarea[name="notes"]', "VIP user; call before 5")
    await jane_page.focus("#escalate-reason")
    async with jane_page.expect_navigation():
        await jane_page.keyboard.press("Enter")  # Enter submits from the single-line field
    assert jane_page.url.startswith(f"{live_server}/sessions?notice="), jane_page.url
    assert "Escalated to the team" in await jane_page.inner_text(".flash.ok")

    # A second senior opens the pickup screen from the queue and leaves it open.
    kim_ctx, kim_page = await _open(browser, live_server, kim)
    await kim_page.goto(f"{live_server}/queue")
    async with kim_page.expect_navigation():
        await kim_page.click("#queue .queue-item a")
    assert kim_page.url == pickup_url

    # The senior sees it in the header counts, the queue and the bell.
    sam_ctx, sam_page = await _open(browser, live_server, sam)
    assert await sam_page.inner_text("#queue-count") == "1"
    assert await sam_page.inner_text("#bell-count") == "1"
    await sam_page.goto(f"{live_server}/queue")
    row = sam_page.locator("#queue .queue-item")
    assert await row.count() == 1
    row_text = await row.inner_text()
    assert "Outlook stops syncing after the password change" in row_text and "by Jane Doe" in row_text
    await sam_page.click("#bell")
    item = sam_page.locator("#bell-menu li a").first
    await item.wait_for()
    assert "Escalation from Jane Doe · #12345: Outlook stops syncing" in await item.inner_text()
    async with sam_page.expect_navigation():
        await item.click()
    assert sam_page.url == pickup_url

    # The pickup screen: every step, the reason, focus on the primary choice.
    actions = await sam_page.locator("#tried-steps .step .action").all_inner_texts()
    assert actions == [a for a, _, _ in STEPS]
    outcomes = await sam_page.locator("#tried-steps .step .outcome").all_inner_texts()
    assert [o.split()[-1].lower() for o in outcomes] == ["failed", "partial", "note", "failed"]
    assert await sam_page.inner_text("#handoff-reason") == "Out of ideas after the profile rebuild"
    assert "being prepared" in await sam_page.inner_text("#assessment")
    assert await _focused(sam_page) == "Continue where they left off"

    # Claim with "Continue where they left off" (Enter on the focused choice), then add a step.
    async with sam_page.expect_navigation():
        await sam_page.keyboard.press("Enter")
    assert sam_page.url == workspace_url
    assert "Picked up by you" in await sam_page.inner_text("#handoff-status")
    await sam_page.fill("#step-action", "Reset the modern-auth token cache")
    await sam_page.fill("#step-result", "Syncs again")
    async with sam_page.expect_navigation():
        await sam_page.press("#step-result", "Enter")
    last = sam_page.locator("#steps .step").last
    assert await last.locator(".action").inner_text() == "Reset the modern-auth token cache"
    assert await last.locator(".who").inner_text() == "Sam Lee"
    assert await sam_page.locator("#steps .step").count() == len(STEPS) + 1

    # The Context button reopens the story in a dialog; Esc closes it.
    await sam_page.click("text=Context")
    dialog = sam_page.locator("#context-dialog")
    assert await dialog.is_visible()
    assert await dialog.locator("#ctx-tried .step").count() == len(STEPS)
    await sam_page.keyboard.press("Escape")
    assert not await dialog.is_visible()
    # Without the dialog, the pickup screen reopened for context: Esc goes back to the workspace.
    await sam_page.goto(f"{pickup_url}?context=1")
    assert await sam_page.locator("#tried-steps .step").count() == len(STEPS)
    assert await sam_page.locator(".choices").count() == 0
    async with sam_page.expect_navigation():
        await sam_page.keyboard.press("Escape")
    assert sam_page.url == workspace_url

    # The second senior, on the screen opened before the claim, picks a choice and is told who won.
    assert kim_page.url == pickup_url
    async with kim_page.expect_navigation():
        await kim_page.click('button:has-text("I\'ll take it from here")')
    banner = kim_page.locator("#taken-banner")
    assert "Taken by Sam Lee" in await banner.inner_text()
    assert await _focused(kim_page) == "taken-banner"
    assert await kim_page.locator(".choices").count() == 0

    # The junior's workspace says who took it and when.
    await jane_page.goto(workspace_url)
    status = await jane_page.inner_text("#handoff-status")
    assert re.search(r"Picked up by Sam Lee at \d{4}-\d\d-\d\d \d\d:\d\d UTC", status), status

    for context in (jane_ctx, kim_ctx, sam_ctx):
        await context.close()


SUMMARY = {
    "ticket_note": "Outlook fails to sync since the password change; OWA works.",
    "what_we_know": ["OWA receives mail", "The profile rebuild did not help"],
    "likely_cause": "Stale modern-auth tokens cached after the password change.",
    "suggested_steps": ["Reset the token cache", "Check the Outlook build", "Re-add the account"],
    "confidence": "medium",
    "similar_sessions": [
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "problem": "Outlook keeps prompting for the password after a reset",
            "resolution": "Cleared the AAD broker plugin cache",
            "score": 0.61,
        }
    ],
    "engine": "offline",
    "fallback_reason": None,
    "state": "ready",
}


@pytest.mark.parametrize("width", [1280, 390])
async def test_pickup_and_queue_screenshots(
    live_server: str, browser: Browser, db: Database, admin_conn: psycopg.Connection, width: int
) -> None:
    """The queue, the pickup screen, the bell, the Context dialog and the taken banner fit at desktop
    and phone widths; screenshots in /tmp/relaydesk-pickup-*.png for a human eye."""
    account = await make_account(db, name="Harbor IT")
    jane = await make_user(db, account, name="Jane Doe")
    sam = await make_user(db, account, name="Sam Lee")
    kim = await make_user(db, account, name="Kim Park")
    problems = [
        ("Outlook stops syncing after the password change for the whole front desk", "urgent"),
        ("Label printer on the shipping bench prints blank pages", "normal"),
        ("VPN drops every ten minutes for remote staff on the Fortinet client", "high"),
    ]
    handoffs = []
    for problem, priority in problems:
        session = await make_session(db, jane, problem=problem, priority=priority, client="Harbor Dental")
        for action, result, outcome in STEPS:
            await make_step(db, jane, session, action=action, result=result, outcome=outcome)
        handoffs.append((session, await escalate(db, jane, session, notes="VIP user; call before 5")))
    first_session, first = handoffs[0]
    admin_conn.execute(
        "UPDATE handoffs SET summary = %s::jsonb, summary_state = 'ready' WHERE id = %s",
        (psycopg.types.json.Json(SUMMARY), first.id),
    )

    kim_ctx, kim_page = await _open(browser, live_server, kim, width=width)
    await kim_page.goto(f"{live_server}/sessions/{first_session.id}/pickup")
    sam_ctx, page = await _open(browser, live_server, sam, width=width)

    await page.goto(f"{live_server}/queue")
    await _no_sideways_scroll(page)
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-queue-{width}.png"), full_page=True)
    await page.click("#bell")
    await page.locator("#bell-menu li").first.wait_for()
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-bell-{width}.png"))
    await page.keyboard.press("Escape")

    await page.goto(f"{live_server}/notifications")
    await _no_sideways_scroll(page)
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-notifications-{width}.png"), full_page=True)

    await page.goto(f"{live_server}/sessions/{first_session.id}/pickup")
    await _no_sideways_scroll(page)
    assert "Stale modern-auth tokens" in await page.inner_text("#assessment")
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-screen-{width}.png"), full_page=True)

    async with page.expect_navigation():
        await page.click("button:has-text('Get an AI briefing')")
    await _no_sideways_scroll(page)
    assert "Stale modern-auth tokens" in await page.inner_text("#briefing")
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-briefing-{width}.png"), full_page=True)
    await page.click("text=Context")
    await page.screenshot(path=str(SHOTS / f"relaydesk-pickup-context-{width}.png"))
    await page.keyboard.press("Escape")

    async with kim_page.expect_navigation():
        await kim_page.click("button:has-text('Continue where they left off')")
    await _no_sideways_scroll(kim_page)
    await kim_page.screenshot(path=str(SHOTS / f"relaydesk-pickup-taken-{width}.png"), full_page=True)

    jane_ctx, jane_page = await _open(browser, live_server, jane, width=width)
    await jane_page.goto(f"{live_server}/sessions/{handoffs[1][0].id}")
    await _no_sideways_scroll(jane_page)
    await jane_page.screenshot(path=str(SHOTS / f"relaydesk-pickup-waiting-{width}.png"), full_page=True)
    await jane_page.goto(f"{live_server}/sessions/{handoffs[2][0].id}/pickup")
    await _no_sideways_scroll(jane_page)
    await jane_page.screenshot(path=str(SHOTS / f"relaydesk-pickup-escalator-{width}.png"), full_page=True)
    fresh = await make_session(db, jane, problem="Shared mailbox missing for the new receptionist")
    await jane_page.goto(f"{live_server}/sessions/{fresh.id}#escalate")
    await _no_sideways_scroll(jane_page)
    await jane_page.screenshot(path=str(SHOTS / f"relaydesk-pickup-escalate-{width}.png"), full_page=True)

    for context in (kim_ctx, sam_ctx, jane_ctx):
        await context.close()
