"""In real browsers: the senior who picked it up attaches a screenshot and a log on a step; the
junior's open workspace shows the thumbnail and the download without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from tests.attachments import data
from tests.factories import PASSWORD, Member, escalate, make_account, make_session, make_step, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
SHOTS.mkdir(exist_ok=True)


def _loaded(selector: str, width: str = "> 0") -> str:
    """A wait_for_function arrow function: the image at `selector` has loaded (naturalWidth {width})."""
    return (
        f"() => {{ const i = document.querySelector('{selector}'); "
        f"return i !== null && i.complete && i.naturalWidth {width}; }}"
    )


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
    return context, page


async def _attach(page: Page, step_id: str, name: str, mime: str, body: bytes) -> None:
    await page.click(f"#step-{step_id} details.attach summary")
    await page.set_input_files(
        f"#step-{step_id} .attach-form input[type=file]",
        files=[{"name": name, "mimeType": mime, "buffer": body}],
    )
    async with page.expect_navigation():
        await page.click(f"#step-{step_id} .attach-form button[type=submit]")


async def test_senior_attaches_a_screenshot_and_the_junior_sees_it_live(
    live_server: str, browser: Browser, db: Database
) -> None:
    account = await make_account(db, name="Harbor IT")
    jane = await make_user(db, account, name="Jane Doe", email="jane@harbor.example")
    sam = await make_user(db, account, name="Sam Lee", email="sam@harbor.example")
    session = await make_session(db, jane, problem="Outlook stops syncing after the password change")
    first = await make_step(db, jane, session, action="Recreated the Outlook profile", result="Same error")
    await make_step(
        db, jane, session, action="Checked the mailbox in OWA", result="Mail arrives", outcome="partial"
    )
    handoff = await escalate(db, jane, session)
    async with db.uow(account.id) as uow:
        await handoffs.claim(uow, sam.actor, handoff.id)
    workspace = f"{live_server}/sessions/{session.id}"

    # The junior keeps the workspace open; the stream is up before anything happens.
    jane_ctx, jane_page = await _open(browser, live_server, jane)
    await jane_page.goto(workspace)
    await jane_page.wait_for_function("() => document.documentElement.dataset.live === 'on'")
    assert await jane_page.locator(f"#attachments-{first.id} li").count() == 0

    # The senior attaches a screenshot and a log to the junior's first step, from the plain form.
    sam_ctx, sam_page = await _open(browser, live_server, sam)
    await sam_page.goto(workspace)
    await _attach(sam_page, str(first.id), "error-0x800CCC0E.png", "image/png", data.png(320, 200))
    assert sam_page.url == f"{workspace}#step-{first.id}"
    await _attach(sam_page, str(first.id), "outlook-sync.log", "text/plain", b"12:01 sync failed\n" * 40)

    # Without a reload, the junior's page shows the thumbnail (loaded) and the download link.
    thumb = f"#attachments-{first.id} img.thumb"
    await jane_page.wait_for_function(_loaded(thumb, "=== 320"))
    await jane_page.wait_for_function(
        f"() => document.querySelector('#attachments-{first.id} a[download=\"outlook-sync.log\"]') !== null"
    )
    box = await jane_page.locator(thumb).bounding_box()
    assert box is not None and box["width"] <= 180 and box["height"] <= 120  # kept small by CSS
    assert "720 bytes" in await jane_page.inner_text(f"#attachments-{first.id}")
    await jane_page.locator(f"#step-{first.id}").scroll_into_view_if_needed()
    await jane_page.screenshot(path=str(SHOTS / "attach-workspace.png"), full_page=True)

    # The thumbnail opens the full image: served inline as image/png.
    async with jane_ctx.expect_page() as opened:
        await jane_page.click(thumb)
    full = await opened.value
    await full.wait_for_load_state()
    response = await full.request.get(full.url)
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline;")

    # The pickup screen, reopened for context, shows the same files on the step.
    await sam_page.goto(f"{workspace}/pickup?context=1")
    await sam_page.wait_for_function(_loaded(thumb))
    assert await sam_page.locator(f"#attachments-{first.id} a[download='outlook-sync.log']").count() == 1
    await sam_page.screenshot(path=str(SHOTS / "attach-pickup.png"), full_page=True)

    # On a phone: the thumbnail, the link and the form fit, nothing scrolls sideways.
    phone_ctx, phone = await _open(browser, live_server, jane, width=390)
    await phone.goto(workspace)
    await phone.click(f"#step-{first.id} details.attach summary")
    await phone.wait_for_function(_loaded(thumb))
    assert await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    await phone.locator(f"#step-{first.id}").screenshot(path=str(SHOTS / "attach-workspace-phone.png"))
    for context in (jane_ctx, sam_ctx, phone_ctx):
        await context.close()
