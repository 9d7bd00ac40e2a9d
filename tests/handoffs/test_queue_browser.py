"""The triage queue in a real browser: priority order, an urgent arrival sliding into first place
live, the SLA countdown ticking, j/k/Enter and the ? dialog; a viewer reads the queue and a pickup
screen with no buttons; the analytics page's technician table. Screenshots in /tmp/shots/queue-*.png."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Browser, Page

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.integrations import service as integrations
from relaydesk.integrations.schemas import SettingsUpdate
from tests.factories import Member, escalate, make_account, make_session, make_step, make_user
from tests.handoffs.test_browser import _open

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


async def _waiting(
    db: Database, conn: psycopg.Connection, member: Member, problem: str, priority: str, minutes_ago: float
) -> uuid.UUID:
    session = await make_session(db, member, problem=problem, priority=priority, client="Harbor Dental")
    await make_step(db, member, session)
    handoff = await escalate(db, member, session, reason="Out of ideas")
    conn.execute(
        "UPDATE handoffs SET created_at = created_at - %s WHERE id = %s",
        (timedelta(minutes=minutes_ago), handoff.id),
    )
    return handoff.id


async def _team(db: Database) -> tuple[Account, Member, Member, Member]:
    account = await make_account(db, name="Harbor IT")
    jane = await make_user(db, account, name="Jane Doe", email=f"jane-{uuid.uuid4().hex[:6]}@harbor.example")
    sam = await make_user(db, account, name="Sam Lee", email=f"sam-{uuid.uuid4().hex[:6]}@harbor.example")
    owner = await make_user(db, account, role="owner", name="Olga Owner")
    async with db.uow(account.id) as uow:
        await integrations.update_settings(
            uow, owner.actor, SettingsUpdate(pickup_sla_minutes=30), smtp_configured=False
        )
    return account, jane, sam, owner


async def _order(page: Page) -> list[str]:
    return await page.eval_on_selector_all("#queue .queue-item", "rows => rows.map(r => r.dataset.handoffId)")


async def test_the_queue_triages_live_and_by_keyboard(
    live_server: str, browser: Browser, db: Database, admin_conn: psycopg.Connection
) -> None:
    _, jane, sam, _ = await _team(db)
    normal = await _waiting(db, admin_conn, jane, "Outlook is failing to sync email", "normal", 25)
    high = await _waiting(db, admin_conn, jane, "VPN drops every 10 minutes", "high", 40)
    low = await _waiting(db, admin_conn, jane, "Printer offline on floor 2", "low", 2)

    context, page = await _open(browser, live_server, sam)
    await page.goto(f"{live_server}/queue")
    await page.wait_for_selector("html[data-live='on']", state="attached", timeout=10000)
    assert await _order(page) == [str(high), str(normal), str(low)]
    assert "SLA breached" in await page.inner_text(f'[data-handoff-id="{high}"] .sla-words')

    # the countdown ticks from its data attribute, no reload
    words = page.locator(f'[data-handoff-id="{normal}"] .sla-words')
    before = await words.inner_text()
    assert before.endswith("left to pick up") and before.startswith("4:")
    sla = f"document.querySelector('[data-handoff-id=\"{normal}\"] .sla-words')"
    await page.wait_for_function(f"() => {sla}.textContent !== '{before}'")

    # an urgent arrival slides into first place, a low one below the other low one
    session = await make_session(
        db, jane, problem="Server room UPS alarm", priority="urgent", client="Harbor Dental"
    )
    urgent = (await escalate(db, jane, session, reason="Needs someone on site")).id
    await page.wait_for_function(
        f"() => document.querySelector('#queue .queue-item').dataset.handoffId === '{urgent}'", timeout=10000
    )
    late_low = (await escalate(db, jane, await make_session(db, jane, problem="Toner", priority="low"))).id
    await page.wait_for_function("() => document.querySelectorAll('#queue .queue-item').length === 5")
    assert await _order(page) == [str(urgent), str(high), str(normal), str(low), str(late_low)]
    # the figures followed: the card on the page and the header
    assert await page.inner_text('[data-figure="urgent"]') == "1"
    assert await page.inner_text('[data-figure="waiting"]') == "5"
    assert await page.inner_text('[data-figure="breached"]') == "1"
    await page.wait_for_function("() => document.getElementById('queue-count').textContent === '5'")
    assert "just now" not in await page.inner_text(f'[data-handoff-id="{urgent}"]')  # server-rendered row
    assert await page.get_attribute(f'[data-handoff-id="{urgent}"] .sla', "data-sla-due")
    await page.wait_for_timeout(300)  # the slide-in animation
    await page.screenshot(path=str(SHOTS / "queue-triage.png"), full_page=True)

    # nothing fires while a field has focus
    await page.focus('select[name="priority"]')
    await page.keyboard.press("k")
    await page.keyboard.press("?")
    assert await page.locator("#queue .queue-item.selected").count() == 0
    assert not await page.evaluate("() => document.getElementById('queue-keys').open")

    # ? lists the shortcuts; Esc closes
    await page.focus("main")
    await page.keyboard.press("?")
    assert await page.evaluate("() => document.getElementById('queue-keys').open")
    await page.screenshot(path=str(SHOTS / "queue-shortcuts.png"))
    await page.keyboard.press("Escape")
    assert not await page.evaluate("() => document.getElementById('queue-keys').open")

    # j/k move a visible selection; Enter opens its pickup screen
    for key, expected in (("j", urgent), ("j", high), ("j", normal), ("k", high)):
        await page.keyboard.press(key)
        selected = await page.eval_on_selector("#queue .queue-item.selected", "r => r.dataset.handoffId")
        assert selected == str(expected), key
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith("/pickup") and "VPN drops every 10 minutes" in await page.inner_text("main")

    # the filters, kept in the URL
    await page.goto(f"{live_server}/queue?priority=low")
    assert await _order(page) == [str(low), str(late_low)]
    await page.screenshot(path=str(SHOTS / "queue-filtered.png"), full_page=True)
    await context.close()


async def test_a_viewer_reads_the_queue_and_a_pickup_screen_without_buttons(
    live_server: str, browser: Browser, db: Database, admin_conn: psycopg.Connection
) -> None:
    account, jane, _, _ = await _team(db)
    viewer = await make_user(db, account, role="viewer", name="Val Viewer", email="val@harbor.example")
    high = await _waiting(db, admin_conn, jane, "VPN drops every 10 minutes", "high", 40)
    await _waiting(db, admin_conn, jane, "Outlook is failing to sync email", "normal", 5)

    context, page = await _open(browser, live_server, viewer)
    await page.goto(f"{live_server}/queue")
    assert await page.locator("#queue .queue-item").count() == 2
    assert await page.locator("main form[method='post']").count() == 0
    assert await page.locator(".queue-views").count() == 0
    assert await page.locator("a[href='/sessions/new']").count() == 0
    await page.screenshot(path=str(SHOTS / "queue-viewer.png"), full_page=True)

    await page.keyboard.press("j")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url.endswith("/pickup")
    assert "VPN drops every 10 minutes" in await page.inner_text("main")
    assert await page.locator("main button").count() == 0
    assert await page.locator("main form").count() == 0
    assert "Viewers can read escalations but not pick them up" in await page.inner_text("#start-here")
    await page.screenshot(path=str(SHOTS / "queue-viewer-pickup.png"), full_page=True)
    await context.close()

    # at a phone's width the queue fits without sideways scrolling
    context, page = await _open(browser, live_server, viewer, width=390)
    await page.goto(f"{live_server}/queue")
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    await page.screenshot(path=str(SHOTS / "queue-phone.png"), full_page=True)
    # the escalation is still open for the engineers
    row = admin_conn.execute("SELECT status FROM handoffs WHERE id = %s", (high,)).fetchone()
    assert row == ("open",)
    await context.close()


async def test_the_analytics_technician_table(
    live_server: str, browser: Browser, db: Database, admin_conn: psycopg.Connection
) -> None:
    account, jane, sam, owner = await _team(db)
    kim = await make_user(db, account, name="Kim Park", email="kim@harbor.example")
    for claimer, problem in ((sam, "VPN drops"), (sam, "Outlook sync"), (kim, "Printer offline")):
        session = await make_session(db, jane, problem=problem)
        handoff = await escalate(db, jane, session)
        async with db.uow(account.id) as uow:
            await handoffs.claim(uow, claimer.actor, handoff.id)
        await make_step(db, claimer, session, action="Checked the logs")
        # spread the intervals a little: escalated earlier than it was
        admin_conn.execute(
            "UPDATE handoffs SET created_at = created_at - interval '7 minutes' WHERE id = %s", (handoff.id,)
        )

    context, page = await _open(browser, live_server, owner)
    await page.goto(f"{live_server}/analytics?period=7d")
    table = page.locator("#technicians table")
    assert await table.locator("tbody tr").count() == 3
    jane_row = table.locator("tbody tr", has_text="Jane Doe")
    href = await jane_row.locator("td a").first.get_attribute("href")
    assert href and href.startswith(f"/sessions/all?owner={jane.user.id}&escalated=yes&from=")
    assert (
        await page.get_attribute("#technicians a[download]", "href")
        == "/api/v1/analytics/escalations.csv?period=7d"
    )
    await page.locator("#technicians").screenshot(path=str(SHOTS / "queue-analytics-technicians.png"))
    await context.close()
