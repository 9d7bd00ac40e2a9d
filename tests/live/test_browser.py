"""Live pages in Debian's chromium: the queue, the tab title, the pickup screen, the junior's view."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from relaydesk.db.uow import Database
from tests import browser as helpers
from tests.factories import PASSWORD, Member
from tests.live.conftest import Served
from tests.live.helpers import append, escalate_over_http, make_team

pytestmark = pytest.mark.browser

# Record every Element.animate() call, so a test can tell a slide-in from none at all.
RECORD_ANIMATIONS = """
window.__animations = [];
const animate = Element.prototype.animate;
Element.prototype.animate = function (frames, options) {
  const id = this.dataset && this.dataset.handoffId;
  window.__animations.push({ id: id, duration: options && options.duration });
  return animate.call(this, frames, options);
};
"""
HIDE_TAB = """
Object.defineProperty(document, "hidden", { value: true, configurable: true });
Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
document.dispatchEvent(new Event("visibilitychange"));
"""
SHOW_TAB = """
Object.defineProperty(document, "hidden", { value: false, configurable: true });
Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
document.dispatchEvent(new Event("visibilitychange"));
"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    try:
        helpers.require_chromium()
    except RuntimeError as exc:  # fail, never skip: a silent skip hides a broken setup
        pytest.fail(str(exc), pytrace=False)
    async with helpers.chromium() as launched:
        yield launched


async def _signed_in(
    browser: Browser, base: str, member: Member, *, reduced_motion: bool = False
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        reduced_motion="reduce" if reduced_motion else "no-preference",
    )
    await context.add_init_script(RECORD_ANIMATIONS)
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', member.user.email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')
    return context, page


async def _live(page: Page) -> None:
    """Wait until the page's EventSource is subscribed (its `ready` came): nothing is missed after."""
    await page.wait_for_selector("html[data-live='on']", state="attached", timeout=10000)


async def test_the_queue_shows_a_new_escalation_without_reloading_and_counts_it_in_the_title(
    server: Served, browser: Browser, db: Database
) -> None:
    team = await make_team(db)
    context, page = await _signed_in(browser, server.url, team.senior)
    try:
        await page.goto(f"{server.url}/queue")
        await expect(page.locator("#queue-empty")).to_be_visible()
        title = await page.title()
        await page.evaluate("window.__sameDocument = true")
        await _live(page)

        handoff = await escalate_over_http(
            server.url, db, team.junior, problem="Scanner cannot reach the share"
        )
        row = page.locator(f'#queue li.queue-item[data-handoff-id="{handoff["id"]}"]')
        await expect(row).to_be_visible(timeout=5000)
        assert await page.evaluate("window.__sameDocument") is True, "the page must not reload"
        await expect(row).to_have_class("queue-item row prio-normal unread")  # the server's row, marked new
        text = await row.inner_text()
        for part in (
            "Scanner cannot reach the share",
            "Harbor Dental",
            "#48213",
            "by Jamie Junior",
            "2 steps",
        ):
            assert part in text, text
        assert await row.locator("a").get_attribute("href") == f"/sessions/{handoff['session_id']}/pickup"
        await expect(page.locator("#queue-empty")).to_be_hidden()
        await expect(page.locator("#queue-count")).to_have_text("1")
        await expect(page.locator("#bell-count")).to_have_text("1")
        animations = await page.evaluate("window.__animations")
        assert animations == [{"id": handoff["id"], "duration": 200}]
        assert await page.title() == title, "no count while the tab is in front"

        # the tab goes to the background: new arrivals are counted in the title
        await page.evaluate(HIDE_TAB)
        second = await escalate_over_http(server.url, db, team.junior, problem="Second one")
        third = await escalate_over_http(server.url, db, team.junior, problem="Third one")
        await expect(page).to_have_title(f"(2) {title}", timeout=5000)
        # each row is the server's fragment, fetched on arrival
        await expect(page.locator("#queue li.queue-item")).to_have_count(3)
        ids = await page.eval_on_selector_all(
            "#queue li.queue-item", "rows => rows.map(r => r.dataset.handoffId)"
        )
        # the same priority: each arrival takes its place by waiting time, longest first
        assert ids == [handoff["id"], second["id"], third["id"]]
        await page.evaluate(SHOW_TAB)
        await expect(page).to_have_title(title)

        # claimed by a teammate: the row leaves, the count follows
        async with httpx.AsyncClient(base_url=server.url) as http:
            claimed = await http.post(f"/api/v1/handoffs/{second['id']}/claim", headers=team.other.headers)
            assert claimed.status_code == 200, claimed.text
        await expect(page.locator(f'#queue li[data-handoff-id="{second["id"]}"]')).to_have_count(0)
        await expect(page.locator("#queue-count")).to_have_text("2")
        assert await page.evaluate("window.__sameDocument") is True
    finally:
        await context.close()


async def test_reduced_motion_means_no_slide(server: Served, browser: Browser, db: Database) -> None:
    team = await make_team(db)
    context, page = await _signed_in(browser, server.url, team.senior, reduced_motion=True)
    try:
        await page.goto(f"{server.url}/queue")
        await _live(page)
        handoff = await escalate_over_http(server.url, db, team.junior)
        await expect(page.locator(f'#queue li[data-handoff-id="{handoff["id"]}"]')).to_be_visible(
            timeout=5000
        )
        assert await page.evaluate("window.__animations") == []
    finally:
        await context.close()


async def test_pickup_screen_is_told_when_taken_and_fills_in_the_summary(
    server: Served, browser: Browser, db: Database
) -> None:
    team = await make_team(db)
    handoff = await escalate_over_http(server.url, db, team.junior, problem="Teams calls drop")
    senior_ctx, senior = await _signed_in(browser, server.url, team.senior)
    junior_ctx, junior = await _signed_in(browser, server.url, team.junior)
    try:
        await senior.goto(f"{server.url}/sessions/{handoff['session_id']}/pickup")
        await expect(senior.locator("#assessment")).to_be_visible()
        await expect(senior.locator("#taken-banner")).to_have_count(0)
        await junior.goto(f"{server.url}/sessions/{handoff['session_id']}")
        await expect(junior.locator("#handoff-status")).to_contain_text("Waiting in the queue")
        await _live(senior)
        await _live(junior)

        # the summary arrives: the assessment section is fetched again and replaced in place
        await senior.evaluate("document.getElementById('assessment').dataset.old = 'yes'")
        await append(db, team.account.id, type="summary.ready", handoff_id=uuid.UUID(handoff["id"]))
        await expect(senior.locator("#assessment")).not_to_have_attribute("data-old", "yes", timeout=5000)

        async with httpx.AsyncClient(base_url=server.url) as http:
            claimed = await http.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=team.other.headers)
            assert claimed.status_code == 200, claimed.text
        banner = senior.locator("#taken-banner")
        await expect(banner).to_contain_text("Taken by Olly Other", timeout=5000)
        assert await banner.get_attribute("role") == "alert"
        await expect(junior.locator("#handoff-status")).to_contain_text(
            "Picked up by Olly Other", timeout=5000
        )
    finally:
        await senior_ctx.close()
        await junior_ctx.close()
