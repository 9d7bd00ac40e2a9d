"""Three people on one handoff in real browsers (issue 15): the junior escalates and adds a finding
while waiting, the senior's open pickup screen shows it live, they talk both ways, the senior claims
(the junior's header changes without a reload), releases from the page, and a second senior picks it
up. Screenshots in /tmp/shots/collab-*.png."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page

from relaydesk.db.uow import Database
from tests.factories import make_account, make_session, make_step, make_user
from tests.handoffs.test_browser import _open

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


async def _until(page: Page, predicate: str) -> None:
    """Wait for an arrow-function predicate (the CSP forbids evaluating a bare expression)."""
    await page.wait_for_function(predicate, timeout=10_000)


def _has_text(selector: str, text: str) -> str:
    return f"() => [...document.querySelectorAll({selector!r})].some(e => e.textContent.includes({text!r}))"


async def test_three_people_work_one_handoff(live_server: str, browser, db: Database) -> None:  # type: ignore[no-untyped-def]
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    account = await make_account(db, name="Harbor IT")
    jane = await make_user(db, account, name="Jane Doe", email="jane@harbor.example")
    sam = await make_user(db, account, name="Sam Lee", email="sam@harbor.example")
    kim = await make_user(db, account, name="Kim Park", email="kim@harbor.example")
    session = await make_session(db, jane, problem="Outlook stops syncing after the password change")
    await make_step(db, jane, session, action="Recreated the Outlook profile", result="Same error 0x800CCC0E")
    await make_step(
        db, jane, session, action="Checked the mailbox in OWA", result="Mail arrives", outcome="partial"
    )
    workspace_url = f"{live_server}/sessions/{session.id}"
    pickup_url = f"{workspace_url}/pickup"

    # The junior escalates from the workspace.
    jane_ctx, jane_page = await _open(browser, live_server, jane)
    await jane_page.goto(workspace_url)
    await jane_page.click(".session-actions a:has-text('Escalate')")
    await jane_page.fill("#escalate-reason", "Out of ideas after the profile rebuild")
    async with jane_page.expect_navigation():
        await jane_page.press("#escalate-reason", "Enter")

    # The senior opens the pickup screen and leaves it open; the second senior watches the queue.
    sam_ctx, sam_page = await _open(browser, live_server, sam)
    await sam_page.goto(pickup_url)
    assert await sam_page.locator("#tried-steps .step").count() == 2
    kim_ctx, kim_page = await _open(browser, live_server, kim)
    await kim_page.goto(f"{live_server}/queue")
    assert "2 steps" in await kim_page.inner_text("#queue .queue-item .step-count")
    for page in (sam_page, kim_page):
        await _until(page, "() => document.documentElement.dataset.live === 'on'")

    # While waiting, the junior adds a finding: the open pickup screen and the queue row show it live.
    await jane_page.goto(workspace_url)
    assert await jane_page.locator("#session-actions button:has-text('Withdraw')").count() == 1
    await jane_page.fill("#step-action", "User says it started after the Windows update on Tuesday")
    await jane_page.check('input[name="outcome"][value="info"]')
    async with jane_page.expect_navigation():
        await jane_page.click("#add-step button[type=submit]")
    await _until(sam_page, _has_text("#tried-steps .step .action", "Windows update on Tuesday"))
    assert "added while waiting" in (await sam_page.locator("#tried-steps .step").last.inner_text()).lower()
    await _until(kim_page, _has_text("#queue .queue-item .step-count", "3 steps"))

    # The junior corrects the finding (her own, within the window); the pickup story follows live.
    await jane_page.click("#steps .step:last-child .step-edit summary")
    await jane_page.fill(
        "#steps .step:last-child .step-edit textarea[name=action]",
        "User says it started after the Windows update KB5034441 on Tuesday",
    )
    async with jane_page.expect_navigation():
        await jane_page.click("#steps .step:last-child .step-edit button:has-text('Save the correction')")
    assert "edited" in (await jane_page.locator("#steps .step").last.inner_text()).lower()
    await _until(sam_page, _has_text("#tried-steps .step .action", "KB5034441"))

    # They talk before the pickup: the junior's comment reaches the pickup screen, the reply comes back.
    await jane_page.fill("#comment-body", "She is on leave from Friday, so today would be best")
    async with jane_page.expect_navigation():
        await jane_page.click("#comment-form button[type=submit]")
    await _until(sam_page, _has_text("#comments .comment-body", "on leave from Friday"))
    await sam_page.fill("#comment-body", "Looking now. Which Outlook build?")
    async with sam_page.expect_navigation():
        await sam_page.click("#comment-form button[type=submit]")
    assert sam_page.url.startswith(pickup_url)
    await _until(jane_page, _has_text("#comments .comment-body", "Which Outlook build?"))
    await sam_page.screenshot(path=str(SHOTS / "collab-pickup.png"), full_page=True)

    # The senior claims: the junior's header changes without a reload (no Withdraw, no Park).
    async with sam_page.expect_navigation():
        await sam_page.click('button:has-text("Continue where they left off")')
    assert sam_page.url == workspace_url
    await _until(jane_page, _has_text("#session-head", "Assigned to Sam Lee"))
    await _until(jane_page, "() => !document.querySelector('#session-actions button[title*=queue]')")
    buttons = await jane_page.locator("#session-head button, #session-head a.button").all_inner_texts()
    assert not any(b.strip() in ("Withdraw", "Park", "Escalate") for b in buttons), buttons
    await _until(jane_page, _has_text("#handoff-status", "Picked up by Sam Lee"))
    assert await jane_page.locator("#resolve").count() == 0  # it is Sam's to resolve
    # ...and the junior can still add findings and comment.
    assert await jane_page.locator("#add-step").count() == 1

    # An @mention rings the senior's bell, live; his reply reaches the junior live.
    bell_before = int((await sam_page.inner_text("#bell-count")).strip() or 0)
    await jane_page.fill("#comment-body", "@SamLee the user just rebooted, the error is back")
    async with jane_page.expect_navigation():
        await jane_page.click("#comment-form button[type=submit]")
    await _until(sam_page, _has_text("#comments .comment-body", "the error is back"))
    await _until(
        sam_page,
        f"() => parseInt(document.getElementById('bell-count').textContent || '0', 10) > {bell_before}",
    )
    await sam_page.fill("#comment-body", "Thanks @Jane, resetting the token cache")
    async with sam_page.expect_navigation():
        await sam_page.click("#comment-form button[type=submit]")
    await _until(jane_page, _has_text("#comments .comment-body", "resetting the token cache"))
    await jane_page.screenshot(path=str(SHOTS / "collab-workspace-junior.png"), full_page=True)
    await sam_page.screenshot(path=str(SHOTS / "collab-workspace-senior.png"), full_page=True)

    # ATTACHMENT STEP (added by the lead after merge): the senior attaches a screenshot to a step
    # and the junior sees its thumbnail live. Not part of this branch.

    # The senior releases from the page, with a reason; the second senior picks it up.
    await sam_page.click("#release summary")
    await sam_page.fill("#release input[name=reason]", "Needs someone with Exchange admin rights")
    async with sam_page.expect_navigation():
        await sam_page.click("#release button[type=submit]")
    assert sam_page.url == f"{live_server}/queue"
    await _until(jane_page, _has_text("#handoff-status", "Waiting in the queue"))
    await _until(
        kim_page, f"() => document.querySelector('#queue [data-session-id=\"{session.id}\"]') !== null"
    )
    async with kim_page.expect_navigation():
        await kim_page.click(f'#queue [data-session-id="{session.id}"] a')
    assert kim_page.url == pickup_url
    assert await kim_page.locator("#comments .comment").count() == 4
    async with kim_page.expect_navigation():
        await kim_page.click('button:has-text("Continue where they left off")')
    assert kim_page.url == workspace_url
    assert "Picked up by you" in await kim_page.inner_text("#handoff-status")
    await _until(jane_page, _has_text("#session-head", "Assigned to Kim Park"))

    for context in (jane_ctx, sam_ctx, kim_ctx):
        await context.close()
