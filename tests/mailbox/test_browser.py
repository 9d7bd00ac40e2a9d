"""The demo's mailbox in a real browser: an escalation's email, sent over SMTP to the in-process
mailbox by the worker, read by the senior on the Mailbox page. No DEAD deliveries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Browser

from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database
from relaydesk.demo import DEMO_PASSWORD, seed
from relaydesk.mailbox.server import Mailbox
from relaydesk.settings import Settings
from tests import browser as helpers
from tests.factories import Member, escalate, make_session
from tests.web.conftest import browser  # noqa: F401  (the fixture)
from tests.web.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


async def _member(db: Database, email: str) -> Member:
    async with db.uow() as uow:
        user = await accounts.find_user_by_email(uow, email)
        assert user is not None
        return Member(user=user, actor=accounts.actor_for(user), token="")


async def test_the_senior_reads_the_escalation_email_in_the_mailbox(
    settings: Settings,
    db: Database,
    database_url: str,
    admin_conn: psycopg.Connection,
    mailbox: Mailbox,
    browser: Browser,  # noqa: F811
) -> None:
    logins = dict(await seed(database_url))
    demo = settings.model_copy(
        update={"smtp_url": mailbox.smtp_url, "run_worker": True, "worker_poll_seconds": 0.2}
    )
    junior = await _member(db, logins["junior engineer"])
    senior_email = logins["senior engineer"]
    with helpers.live_server(demo, mailbox=mailbox) as base:
        session = await make_session(db, junior, problem="Printer queue stuck on the 3rd floor")
        await escalate(db, junior, session, reason="Spooler restarts did not help")
        deadline = time.monotonic() + 60
        while not mailbox.for_address(senior_email):
            assert time.monotonic() < deadline, "no email reached the mailbox"
            await asyncio.sleep(0.1)

        page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await sign_in(page, base, senior_email, DEMO_PASSWORD)
        async with page.expect_navigation():
            await page.click("nav >> text=Mailbox")
        await page.screenshot(path=str(Path("/tmp/relaydesk-mailbox-1280.png")), full_page=True)
        subjects = await page.locator("#mailbox .title").all_inner_texts()
        assert any("Printer queue stuck" in subject for subject in subjects), subjects
        async with page.expect_navigation():
            await page.click("#mailbox .title >> text=Printer queue stuck")
        html = page.frame_locator("#mail-html")
        assert "Spooler restarts did not help" in await html.locator("body").inner_text()
        await page.screenshot(path=str(Path("/tmp/relaydesk-mailbox-message-1280.png")), full_page=True)

        # Only their own mail: the junior's mailbox does not show the senior's message.
        other = await (await browser.new_context()).new_page()
        await sign_in(other, base, logins["junior engineer"], DEMO_PASSWORD)
        await other.goto(f"{base}/mailbox")
        assert "Printer queue stuck" not in await other.content()

    dead = admin_conn.execute("SELECT count(*) FROM deliveries WHERE status = 'dead'").fetchone()
    assert dead == (0,)
    emails = admin_conn.execute(
        "SELECT count(*) FROM deliveries WHERE channel = 'email' AND status = 'sent'"
    ).fetchone()
    assert emails is not None and emails[0] >= 1
