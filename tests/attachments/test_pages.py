"""Attachments on the screens: the per-step form (303, or the workspace again with the reason), the
thumbnails and download links on the workspace and the pickup screen."""

from __future__ import annotations

import httpx
import psycopg
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.settings import Settings
from tests.attachments import data
from tests.factories import (
    escalate,
    login,
    make_account,
    make_attachment,
    make_session,
    make_step,
    make_user,
)
from tests.handoffs.conftest import Signed, SignIn, csrf_of


async def _post_file(
    signed: Signed, url: str, name: str, body: bytes, *, csrf: str | None = None
) -> httpx.Response:
    return await signed.http.post(
        url,
        data={"csrf_token": csrf if csrf is not None else signed.csrf},
        files={"file": (name, body, "image/png")},
    )


async def test_the_step_form_attaches_and_redirects_back(
    db: Database, sign_in: SignIn, admin_conn: psycopg.Connection
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    session = await make_session(db, jane)
    step = await make_step(db, jane, session)
    signed = await sign_in(jane)
    workspace = (await signed.get(f"/sessions/{session.id}")).text
    form_action = f"/sessions/{session.id}/steps/{step.id}/attachments"
    assert f'action="{form_action}" enctype="multipart/form-data"' in workspace

    done = await _post_file(signed, form_action, "error.png", data.png())
    assert done.status_code == 303
    assert done.headers["location"] == f"/sessions/{session.id}#step-{step.id}"
    await _post_file(signed, form_action, "outlook.log", b"Event 1000\n")
    page = (await signed.get(f"/sessions/{session.id}")).text
    (image_id,) = admin_conn.execute(
        "SELECT id FROM step_attachments WHERE filename = 'error.png'"
    ).fetchone()
    assert f'<img src="/api/v1/attachments/{image_id}" alt="error.png" class="thumb"' in page
    assert f'id="attachments-{step.id}"' in page
    assert 'download="outlook.log"' in page and "11 bytes" in page

    # a stale form (no CSRF token) is refused and stores nothing
    stale = await _post_file(signed, form_action, "x.png", data.png(), csrf="")
    assert stale.status_code == 403
    no_file = await signed.http.post(form_action, data={"csrf_token": signed.csrf}, files={"file": ("", b"")})
    assert no_file.status_code == 422 and "Choose a file to attach." in no_file.text
    assert admin_conn.execute("SELECT count(*) FROM step_attachments").fetchone() == (2,)


async def test_a_refused_upload_shows_the_workspace_with_the_reason(
    settings: Settings, db: Database, admin_conn: psycopg.Connection
) -> None:
    tight = settings.model_copy(update={"attachment_max_bytes": 1000})
    app: FastAPI = create_app(tight)
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    session = await make_session(db, jane)
    step = await make_step(db, jane, session)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            await login(http, jane.user.email)
            csrf = csrf_of((await http.get("/sessions")).text)
            url = f"/sessions/{session.id}/steps/{step.id}/attachments"
            refused = await http.post(
                url, data={"csrf_token": csrf}, files={"file": ("big.log", b"x" * 1500)}
            )
            assert refused.status_code == 413
            assert "text/html" in refused.headers["content-type"]
            assert "This file is 1.5 kB; the limit is 1000 bytes per file." in refused.text
            assert 'class="attach" open' in refused.text  # the step's form is open again
            huge = await http.post(
                url, data={"csrf_token": csrf}, files={"file": ("huge.log", b"x" * 200_000)}
            )
            assert huge.status_code == 413 and "text/html" in huge.headers["content-type"]
            assert "the limit is 1000 bytes per file" in huge.text
    assert admin_conn.execute("SELECT count(*) FROM step_attachments").fetchone() == (0,)


async def test_the_pickup_screen_shows_the_steps_files_and_only_holders_get_the_form(
    db: Database, sign_in: SignIn
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, name="Jane Doe")
    sam = await make_user(db, account, name="Sam Lee")
    session = await make_session(db, jane)
    step = await make_step(db, jane, session)
    shot = await make_attachment(db, jane, session, step, data=data.png(), filename="error.png")
    log = await make_attachment(db, jane, session, step, data=b"line\n" * 300, filename="sync.log")
    await escalate(db, jane, session)
    senior = await sign_in(sam)
    pickup = (await senior.get(f"/sessions/{session.id}/pickup")).text
    assert f'<img src="/api/v1/attachments/{shot.id}" alt="error.png"' in pickup
    assert f'href="/api/v1/attachments/{log.id}" download="sync.log"' in pickup and "1.5 kB" in pickup
    assert f'id="attachments-{step.id}"' in pickup
    assert "Attach a file" not in pickup
    # the escalated session's workspace: its escalator may add findings while it waits, files too
    junior = await sign_in(jane)
    assert "Attach a file" in (await junior.get(f"/sessions/{session.id}")).text
