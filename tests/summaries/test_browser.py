"""Summaries in a real browser: suggestion chips fill the step form; write-up tabs load and copy."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.summaries.jobs import SummaryQueue
from tests.factories import PASSWORD, Member, escalate, make_account, make_session, make_step, make_user
from tests.summaries.conftest import drain, vpn_history, vpn_session
from tests.web.conftest import browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


async def sign_in(page: Page, base: str, member: Member) -> None:
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', member.user.email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')


async def test_a_chip_fills_the_step_form(live_server: str, browser: Browser, db: Database) -> None:  # noqa: F811
    account = await make_account(db)
    member = await make_user(db, account, role="engineer")
    await vpn_history(db, member)
    session = await vpn_session(db, member)
    page = await (await browser.new_context()).new_page()
    await sign_in(page, live_server, member)

    await page.goto(f"{live_server}/sessions/{session.id}")
    chip = page.locator("#suggestions [data-chip]").first
    await chip.wait_for()
    text = (await chip.inner_text()).strip()
    assert "MTU to 1400" in text
    # A whole, clean next step: imperative, chip-sized, never cut with an ellipsis.
    assert text.startswith("Lower") and len(text) <= 80 and "…" not in text and "..." not in text
    note = await page.inner_text("#suggestions [data-suggestions-note]")
    assert "Confidence medium" in note or "Confidence high" in note

    await chip.click()

    assert await page.input_value("#step-action") == text
    assert "…" not in await page.input_value("#step-action")
    assert await page.evaluate("document.activeElement.id") == "step-action"


@pytest.mark.parametrize("clipboard", ["api", "none"])
async def test_write_up_tabs_copy_with_a_visible_copied_state(
    live_server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
    db: Database,
    clipboard: str,
) -> None:
    account = await make_account(db)
    member = await make_user(db, account, role="engineer")
    session = await make_session(db, member, problem="Printer offline", ticket="77")
    await make_step(db, member, session, action="Power-cycled the printer", result="Still offline")
    async with db.uow(account.id) as uow:
        await sessions.resolve_session(
            uow, member.actor, session.id, ResolveIn(resolution="Replaced the cable.")
        )
    context = await browser.new_context()
    if clipboard == "api":
        await context.grant_permissions(["clipboard-read", "clipboard-write"])
    else:
        # A browser without the Clipboard API (plain http, older ones): the fallback must still copy.
        await context.add_init_script("Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    page = await context.new_page()
    await sign_in(page, live_server, member)
    await page.goto(f"{live_server}/sessions/{session.id}")

    note = await page.input_value("#text-ticket_note")
    assert "Replaced the cable." in note and "not known yet" not in note
    await page.click("#tab-client_update")
    assert await page.is_visible("#panel-client_update") and not await page.is_visible("#panel-ticket_note")
    assert (await page.input_value("#text-client_update")).startswith("Hello,\n\nGood news")

    await page.click("#panel-client_update [data-copy]")

    state = page.locator("#panel-client_update .copy-state")
    await state.wait_for()
    said = await state.inner_text()
    assert said in ("Copied to the clipboard", "Selected: press Ctrl+C (⌘C on a Mac) to copy"), said
    if said == "Copied to the clipboard":
        assert await page.inner_text("#panel-client_update [data-copy]") == "Copied ✓"
    if clipboard == "api":
        assert (await page.evaluate("navigator.clipboard.readText()")).startswith("Hello,\n\nGood news")
    else:
        selected = await page.evaluate(
            "(() => { const t = document.getElementById('text-client_update');"
            " return t.value.substring(t.selectionStart, t.selectionEnd); })()"
        )
        assert selected.startswith("Hello,\n\nGood news")


async def test_variants_of_an_escalation_are_fetched_when_their_tab_opens(
    live_server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    account = await make_account(db)
    junior = await make_user(db, account, role="engineer", password=None)
    senior = await make_user(db, account, role="engineer")
    session = await vpn_session(db, junior)
    handoff = await escalate(db, junior, session)
    await drain(SummaryQueue(config=None), db)
    async with db.uow(account.id) as uow:
        await handoffs.claim(uow, senior.actor, handoff.id)
        await sessions.resolve_session(
            uow, senior.actor, session.id, ResolveIn(resolution="Lowered the MTU.")
        )
    page = await (await browser.new_context()).new_page()
    await sign_in(page, live_server, senior)
    await page.goto(f"{live_server}/sessions/{session.id}")

    await page.click("#tab-email_draft")
    await page.wait_for_function("() => document.getElementById('text-email_draft').value.length > 0")

    assert (await page.input_value("#text-email_draft")).startswith(
        "Subject: Fixed: the problem with the VPN connection"
    )
    assert "Made by template (offline)." in await page.inner_text("#panel-email_draft [data-engine]")
    await page.keyboard.press("ArrowLeft")  # tabs move with the arrow keys
    assert await page.is_visible("#panel-client_update")
