"""The deliveries screens in Debian's chromium: connect a PSA, look a ticket up, send a test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from playwright.async_api import Browser, Page

from relaydesk.db.uow import Database
from relaydesk.deliveries.jobs import DeliveryQueue
from relaydesk.settings import Settings
from tests import browser as helpers
from tests.deliveries.conftest import Team, run_worker
from tests.factories import PASSWORD, escalate, make_session
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.browser


@pytest.fixture
def site(settings: Settings, db: Database) -> Iterator[str]:
    with helpers.live_server(settings) as url:
        yield url


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    try:
        helpers.require_chromium()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    async with helpers.chromium() as launched:
        yield launched


async def _sign_in(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill('input[name="email"]', email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')


async def test_connect_psa_lookup_ticket_and_send_a_test(
    site: str,
    chromium: Browser,
    db: Database,
    admin_conn: psycopg.Connection,
    team: Team,
    queue: DeliveryQueue,
    fake_cw: LocalServer[cw.FakeConnectWise],
    fake_slack: LocalServer[FakeSlack],
) -> None:
    page = await (await chromium.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await _sign_in(page, site, team.ada.user.email)
    await page.goto(f"{site}/settings/integrations")

    await page.click("summary:has-text('ConnectWise PSA')")
    form = page.locator("form:has(input[name='kind'][value='connectwise'])")
    await form.locator("input[name='name']").fill("Our ConnectWise")
    for name, value in (
        ("site", fake_cw.url),
        ("company_id", cw.COMPANY),
        ("public_key", cw.PUBLIC_KEY),
        ("private_key", cw.PRIVATE_KEY),
        ("client_id", cw.CLIENT_ID),
    ):
        await form.locator(f"input[name='f_{name}']").fill(value)
    async with page.expect_navigation():
        await form.locator("button[type='submit']").click()
    assert "Added Our ConnectWise." in await page.inner_text("main")
    assert cw.PRIVATE_KEY not in await page.content()

    await page.click("summary:has-text('Slack')")
    form = page.locator("form:has(input[name='kind'][value='slack'])")
    await form.locator("input[name='name']").fill("#escalations")
    await form.locator("input[name='f_url']").fill(fake_slack.app.hook_url(fake_slack.url))
    async with page.expect_navigation():
        await form.locator("button[type='submit']").click()

    # Send test: the page follows the delivery until the worker has sent it.
    await page.click("details.integration summary:has-text('#escalations')")
    async with page.expect_navigation():
        await page.locator("details.integration[open] form.test-form button").click()
    status = page.locator("#test-result [data-field='status']")
    assert await status.text_content() == "pending"
    await run_worker(db, queue, until=lambda: len(fake_slack.app.messages) == 1)
    await status.filter(has_text="sent").wait_for(timeout=10000)
    assert "delivered" in await page.inner_text("#test-result")

    # A new session from the ticket number.
    await page.goto(f"{site}/sessions/new")
    await page.fill("input[name='ticket_id']", "4711")
    await page.click("[data-psa-lookup]")
    await page.locator("[data-psa-lookup-result]").filter(has_text="Filled from").wait_for(timeout=10000)
    assert (
        await page.input_value("textarea[name='problem_summary']") == "Outlook keeps asking for the password"
    )
    assert await page.input_value("input[name='client_name']") == "Contoso Ltd"
    assert await page.input_value("select[name='priority']") == "high"
    await page.screenshot(path="/tmp/relaydesk-psa-lookup.png", full_page=True)
    await page.goto(f"{site}/settings/integrations")
    await page.screenshot(path="/tmp/relaydesk-integrations.png", full_page=True)

    # The workspace's Deliveries section, updating itself while the worker sends.
    session = await make_session(db, team.jane, ticket="4711")
    await escalate(db, team.jane, session, target=team.sam.user.id)
    await page.goto(f"{site}/sessions/{session.id}")
    section = page.locator("#deliveries")
    assert "pending" in (await section.text_content() or "")
    await run_worker(db, queue, until=lambda: bool(fake_cw.app.notes[4711]))
    await section.locator(".delivery.psa_note, .delivery.sent").first.wait_for(timeout=10000)
    await page.locator("#deliveries .delivery-status.sent").nth(1).wait_for(timeout=15000)
    await page.screenshot(path="/tmp/relaydesk-workspace-deliveries.png", full_page=True)


async def test_a_new_webhooks_secret_is_shown_once_after_the_redirect(
    site: str, chromium: Browser, db: Database, team: Team
) -> None:
    page = await (await chromium.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await _sign_in(page, site, team.ada.user.email)
    await page.goto(f"{site}/settings/integrations")
    await page.click("summary:has-text('Signed webhook')")
    form = page.locator("form:has(input[name='kind'][value='webhook'])")
    await form.locator("input[name='name']").fill("Our receiver")
    await form.locator("input[name='f_url']").fill("https://hooks.example.com/relaydesk")
    async with page.expect_navigation():
        await form.locator("button[type='submit']").click()
    assert "/settings/integrations?notice=" in page.url  # redirected: a reload sends nothing
    secret = (await page.locator(".reveal code.secret").text_content() or "").strip()
    assert secret.startswith("whsec_")
    await page.screenshot(path="/tmp/relaydesk-webhook-secret.png", full_page=True)
    await page.reload()
    assert await page.locator(".reveal").count() == 0
    assert "Our receiver" in await page.inner_text("main")
