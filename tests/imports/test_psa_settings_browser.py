"""The settings page follows a PSA import live in a real browser: the worker's events update it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from relaydesk.db.uow import Database
from relaydesk.imports.jobs import PsaImportQueue
from relaydesk.settings import Settings
from tests.factories import PASSWORD
from tests.fakes import connectwise as cw
from tests.fakes.server import LocalServer, serving
from tests.imports.test_psa_from_settings import _connectwise
from tests.web.conftest import browser, live_server

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]


@pytest.fixture
def fake() -> Iterator[LocalServer[cw.FakeConnectWise]]:
    with serving(cw.FakeConnectWise()) as server:
        server.app.tickets.clear()
        for n in range(101, 104):
            server.app.add_closed_ticket(
                n, f"Printer offline at site {n}", "2026-09-15T10:00:00Z", notes=["Power-cycled it"],
                resolution="Replaced the network cable",
            )  # fmt: skip
        yield server


async def test_the_page_shows_the_import_finish_without_a_reload(
    live_server: str,
    browser: Browser,
    db: Database,
    settings: Settings,
    fake: LocalServer[cw.FakeConnectWise],
) -> None:
    _, owner = await _connectwise(db, settings, fake)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{live_server}/login")
    await page.fill('input[name="email"]', owner.user.email)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/login"] button[type="submit"]')
    await page.goto(f"{live_server}/settings/integrations")
    async with page.expect_navigation():
        await page.click("#psa-import-start")
    assert "Importing:" in await page.inner_text("#psa-import-status")
    assert await page.is_disabled("#psa-import-start")
    await page.wait_for_timeout(500)  # the page's EventSource is connected
    assert await PsaImportQueue(settings).run_once(db)
    await page.wait_for_function(
        # An arrow function, not a string: the CSP (script-src 'self') forbids eval.
        "() => document.getElementById('psa-import-status')"
        ".textContent.includes('Import finished: 3 imported')"
    )
    assert not await page.is_disabled("#psa-import-start")
    await page.locator("#psa-import").screenshot(path=str(Path("/tmp") / "relaydesk-psa-import.png"))
    await context.close()
