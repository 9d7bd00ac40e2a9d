"""What the screens show of summaries: the assessment, the briefing, chips, the write-up tabs, model runs."""

from __future__ import annotations

import html

import httpx

from relaydesk.accounts.models import Account
from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.summaries.jobs import SummaryQueue
from tests.factories import (
    PASSWORD,
    Member,
    escalate,
    login,
    make_account,
    make_session,
    make_step,
    make_user,
)
from tests.summaries.conftest import drain, summary_of, vpn_history, vpn_session


async def signed_in(
    client: httpx.AsyncClient, db: Database, account: Account, role: str = "engineer"
) -> Member:
    member = await make_user(db, account, role=role, password=PASSWORD)
    response = await login(client, member.user.email)
    assert response.status_code == 303, response.text
    return member


async def test_the_pickup_screen_shows_the_assessment(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    junior = await make_user(db, account, role="engineer", password=None, name="Jamie Junior")
    await vpn_history(db, junior)
    session = await vpn_session(db, junior)
    handoff = await escalate(db, junior, session)
    senior = await signed_in(client, db, account)

    before = (await client.get(f"/sessions/{session.id}/pickup")).text
    assert 'data-state="pending"' in before and "being prepared" in before

    await drain(SummaryQueue(config=None), db)
    summary = await summary_of(db, handoff)
    page = html.unescape((await client.get(f"/sessions/{session.id}/pickup")).text)

    assert 'data-state="ready"' in page
    assert "Likely cause" in page and summary.likely_cause in page
    assert summary.confidence_basis and summary.confidence_basis in page
    # what we know, each fact with its step label; the similar sessions with links and their fix
    fact = "Reinstalled the FortiClient VPN client: failed (Still drops after about 5 minutes)"
    assert f'{fact} <span class="ref">S1</span>' in page
    for similar in summary.similar_sessions:
        assert f'href="/sessions/{similar.id}"' in page
    assert "Fixed by: Lowered" in page
    assert "Offline engine (this account's history, no model)" in page
    assert "model runs" not in page  # engineers do not see the model runs link
    assert senior.actor.role == "engineer"


async def test_the_briefing_and_the_chips_after_a_claim(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    junior = await make_user(db, account, role="engineer", password=None)
    await vpn_history(db, junior)
    session = await vpn_session(db, junior)
    handoff = await escalate(db, junior, session)
    await drain(SummaryQueue(config=None), db)
    await signed_in(client, db, account)
    page = (await client.get(f"/sessions/{session.id}/pickup")).text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    claimed = await client.post(
        f"/handoffs/{handoff.id}/claim", data={"csrf_token": csrf, "start": "briefing"}
    )
    assert claimed.status_code == 303 and claimed.headers["location"].endswith("?briefing=1#briefing")

    workspace = (await client.get(f"/sessions/{session.id}?briefing=1")).text
    summary = await summary_of(db, handoff)
    briefing = workspace.split('id="briefing"', 1)[1]
    assert "In short" in briefing and summary.ticket_note.split(".")[0] in briefing.replace("&#39;", "'")
    chips = workspace.split('id="suggestions"', 1)[1]
    assert "data-fetch" not in chips.split(">", 1)[0]
    assert f">{summary.suggested_steps[0]}</button>" in chips
    assert "from the escalation's assessment" in chips


async def test_an_active_session_fetches_its_suggestions(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    member = await signed_in(client, db, account)
    session = await make_session(db, member, problem="Printer offline")

    page = (await client.get(f"/sessions/{session.id}")).text

    assert f'data-suggestions-url="/api/v1/sessions/{session.id}/suggestions"' in page
    assert "data-fetch" in page and "Ask the model" not in page  # no model configured


async def test_the_resolved_screen_has_three_write_ups(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    member = await signed_in(client, db, account)
    session = await make_session(db, member, problem="Printer offline", client="Acme", ticket="77")
    await make_step(db, member, session, action="Power-cycled the printer", result="Still offline")
    async with db.uow(account.id) as uow:
        await sessions.resolve_session(
            uow, member.actor, session.id, ResolveIn(resolution="Replaced the network cable.")
        )

    page = (await client.get(f"/sessions/{session.id}")).text

    conclude = page.split('id="conclude"', 1)[1]
    assert 'data-variants-url=""' in conclude.split(">", 1)[0]  # no escalation: all offline, inline
    assert "Acme, ticket #77: Printer offline." in conclude
    assert (
        "Steps by " in conclude and "power-cycled the printer, which did not help (still offline)" in conclude
    )
    assert "Resolved by " in conclude and "Replaced the network cable." in conclude
    assert "Good news: the problem with the printer is fixed." in conclude
    assert "Subject: Fixed: the problem with the printer (ticket #77)" in conclude
    assert conclude.count('role="tab"') == 3 and conclude.count("data-copy=") == 3


async def test_an_escalated_resolved_session_asks_for_its_variants(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await make_account(db)
    junior = await make_user(db, account, role="engineer", password=None)
    session = await vpn_session(db, junior)
    handoff = await escalate(db, junior, session)
    await drain(SummaryQueue(config=None), db)
    senior = await signed_in(client, db, account)
    async with db.uow(account.id) as uow:
        await handoffs.claim(uow, senior.actor, handoff.id)
        await sessions.resolve_session(
            uow, senior.actor, session.id, ResolveIn(resolution="Lowered the MTU.")
        )

    conclude = (await client.get(f"/sessions/{session.id}")).text.split('id="conclude"', 1)[1]

    assert f'data-variants-url="/api/v1/handoffs/{handoff.id}/summary/variants"' in conclude
    assert "Lowered the MTU." in conclude and "not known yet" not in conclude
    assert "Make it again" in conclude


async def test_the_model_runs_page_is_for_admins(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    await signed_in(client, db, account, role="admin")
    page = await client.get("/admin/model-runs")
    assert page.status_code == 200 and "No model runs yet." in page.text
    assert "No model is configured" in page.text

    other = await make_account(db)
    await client.post("/logout")
    client.cookies.clear()
    await signed_in(client, db, other, role="engineer")
    assert (await client.get("/admin/model-runs")).status_code == 403
