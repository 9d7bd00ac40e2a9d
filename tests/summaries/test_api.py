"""Summary routes: the summary on the handoff, variants, suggestions, model runs; who may see what."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relaydesk.app import create_app
from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.settings import Settings
from relaydesk.summaries import prompts
from relaydesk.summaries import variants as summaries_service
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.llm import LlmConfig
from relaydesk.summaries.providers import NO_KEY_PLACEHOLDER
from relaydesk.summaries.schemas import Summary
from tests.factories import escalate, make_account, make_session, make_user
from tests.fakes.llm import FakeOpenAI
from tests.summaries.conftest import GOOD_ASSESSMENT, SECRETS, Team, drain, vpn_history, vpn_session

MAIN_MODEL = "openai:main-model"
FAST_MODEL = "openai:fast-model"
CLIENT_TEXT = "Your VPN kept dropping. We found a setting to change and will do it next."


@pytest.fixture(scope="module")
def local_model() -> Iterator[FakeOpenAI]:
    """An OpenAI-compatible server (as Ollama or vLLM would be): no key needed."""
    with FakeOpenAI(payload=GOOD_ASSESSMENT, text=CLIENT_TEXT, api_key=NO_KEY_PLACEHOLDER) as fake:
        yield fake


@pytest.fixture
def model(local_model: FakeOpenAI) -> Iterator[FakeOpenAI]:
    local_model.reset()
    yield local_model
    local_model.reset()


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://relaydesk.test") as http:
            yield http


@pytest.fixture
async def model_client(
    settings: Settings, db: Database, model: FakeOpenAI
) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(
        update={
            "llm_model": MAIN_MODEL,
            "llm_fast_model": FAST_MODEL,
            "llm_base_url": model.base_url,
            "summary_deadline_seconds": 2.0,
            "suggestions_per_user_per_hour": 2,
        }
    )
    async for http in _client(configured):
        yield http


async def summarized(db: Database, team: Team, *, with_secrets: bool = False) -> tuple[str, str]:
    """An escalated VPN session whose offline summary is ready: (handoff id, session id)."""
    await vpn_history(db, team.senior)
    session = await vpn_session(db, team.junior, with_secrets=with_secrets)
    handoff = await escalate(db, team.junior, session)
    await drain(SummaryQueue(config=None), db)
    return str(handoff.id), str(session.id)


def user_message(request: Any) -> str:
    return [m for m in request.body["messages"] if m["role"] == "user"][-1]["content"]


# --- the summary ----------------------------------------------------------------------------------------


async def test_the_handoff_carries_the_full_summary(
    client: httpx.AsyncClient, db: Database, team: Team
) -> None:
    session = await vpn_session(db, team.junior)
    handoff = await escalate(db, team.junior, session)
    pending = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=team.senior.headers)).json()
    assert pending["summary_state"] == "pending" and pending["summary"] is None
    assert (
        await client.get(f"/api/v1/handoffs/{handoff.id}/summary", headers=team.senior.headers)
    ).status_code == 404

    await drain(SummaryQueue(config=None), db)

    body = (await client.get(f"/api/v1/handoffs/{handoff.id}", headers=team.senior.headers)).json()
    assert body["summary_state"] == "ready"
    summary = Summary.model_validate(body["summary"])
    assert set(body["summary"]) >= {
        "ticket_note", "what_we_know", "likely_cause", "suggested_steps", "confidence", "evidence",
        "similar_sessions", "engine", "fallback_reason", "usage", "variants", "state", "created_at",
        "updated_at",
    }  # fmt: skip
    assert summary.state == "ready" and summary.variants.client_update is None
    alone = await client.get(f"/api/v1/handoffs/{handoff.id}/summary", headers=team.senior.headers)
    assert alone.status_code == 200 and alone.json() == body["summary"]


async def test_another_accounts_summary_is_404(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    handoff_id, session_id = await summarized(db, team)
    other = await make_account(db, name="Elsewhere")
    stranger = await make_user(db, other, role="admin", password=None)

    for method, url in [
        ("GET", f"/api/v1/handoffs/{handoff_id}/summary"),
        ("POST", f"/api/v1/handoffs/{handoff_id}/summary/variants/client_update"),
        ("POST", f"/api/v1/handoffs/{handoff_id}/summary/variants/email_draft"),
        ("GET", f"/api/v1/handoffs/{handoff_id}/runs"),
        ("POST", f"/api/v1/sessions/{session_id}/suggestions?engine=offline"),
    ]:
        response = await client.request(method, url, headers=stranger.headers)
        assert response.status_code == 404, (url, response.text)


# --- variants -------------------------------------------------------------------------------------------


async def test_offline_variants_are_templates_cached_until_refreshed(
    client: httpx.AsyncClient, db: Database, team: Team
) -> None:
    handoff_id, _ = await summarized(db, team)
    url = f"/api/v1/handoffs/{handoff_id}/summary/variants"

    first = (await client.post(f"{url}/client_update", headers=team.senior.headers)).json()
    assert first["engine"] == "offline" and first["cached"] is False and first["fallback_reason"] is None
    assert first["text"].startswith(
        "Hello,\n\nThanks for your patience while we work on the problem with the VPN"
    )
    again = (await client.post(f"{url}/client_update", headers=team.senior.headers)).json()
    assert again["cached"] is True and again["text"] == first["text"]
    remade = (await client.post(f"{url}/client_update?refresh=true", headers=team.senior.headers)).json()
    assert remade["cached"] is False

    email = (await client.post(f"{url}/email_draft", headers=team.senior.headers)).json()
    assert email["text"].startswith(
        "Subject: Update on the problem with the VPN connection (ticket #12345)\n\nHello,"
    )
    summary = (await client.get(f"/api/v1/handoffs/{handoff_id}/summary", headers=team.senior.headers)).json()
    assert summary["variants"] == {"client_update": first["text"], "email_draft": email["text"]}
    assert first["ticket_note"] == summary["ticket_note"]

    bad = await client.post(f"{url}/press_release", headers=team.senior.headers)
    assert bad.status_code == 422


async def test_after_the_resolution_the_note_and_variants_say_it_is_fixed(
    client: httpx.AsyncClient, db: Database, team: Team
) -> None:
    handoff_id, session_id = await summarized(db, team)
    url = f"/api/v1/handoffs/{handoff_id}/summary/variants/client_update"
    before = (await client.post(url, headers=team.senior.headers)).json()
    assert (
        await client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=team.senior.headers)
    ).status_code == 200
    async with db.uow(team.account.id) as uow:
        await sessions.resolve_session(
            uow, team.senior.actor, session_id, ResolveIn(resolution=f"Lowered the MTU; pw {SECRETS[0]}")
        )

    after = (await client.post(url, headers=team.senior.headers)).json()

    assert after["cached"] is False and after["text"] != before["text"]
    assert "Good news: the problem with the VPN connection is fixed." in after["text"]
    assert (
        "Resolved by " in after["ticket_note"]
        and "Lowered the MTU; pw [redacted password]" in after["ticket_note"]
    )
    assert "not known yet" not in after["ticket_note"]


async def test_a_model_variant_is_one_small_call_on_the_note_with_the_fast_model(
    model_client: httpx.AsyncClient, db: Database, team: Team, model: FakeOpenAI
) -> None:
    handoff_id, _ = await summarized(db, team, with_secrets=True)
    url = f"/api/v1/handoffs/{handoff_id}/summary/variants/client_update"

    made = (await model_client.post(url, headers=team.senior.headers)).json()
    assert made["text"] == CLIENT_TEXT and made["engine"] == FAST_MODEL and made["cached"] is False
    (request,) = model.requests
    assert request.body["model"] == "fast-model"
    assert user_message(request) == prompts.render_prose(made["ticket_note"])
    assert "Fragmented ESP packets" not in request.raw.decode()  # steps are not sent: the prose only
    for secret in SECRETS:
        assert secret not in request.raw.decode()

    assert (await model_client.post(url, headers=team.senior.headers)).json()["cached"] is True
    assert len(model.requests) == 1

    runs = (await model_client.get(f"/api/v1/handoffs/{handoff_id}/runs", headers=team.admin.headers)).json()
    (run,) = runs
    assert run["purpose"] == "client_update" and run["model"] == FAST_MODEL
    assert run["prompt_version"] == "client-update-v1" and run["parsed"] is True


async def test_concurrent_variant_requests_make_one_call(
    model_client: httpx.AsyncClient, db: Database, team: Team, model: FakeOpenAI
) -> None:
    handoff_id, _ = await summarized(db, team)
    model.delay = 0.3
    url = f"/api/v1/handoffs/{handoff_id}/summary/variants/email_draft"
    model.payload = {
        "subject": "VPN update",
        "greeting": "Hello,",
        "body": "We are on it.",
        "sign_off": "Bye",
    }

    replies = await asyncio.gather(*(model_client.post(url, headers=team.senior.headers) for _ in range(4)))

    assert {r.status_code for r in replies} == {200}
    assert len({r.json()["text"] for r in replies}) == 1
    assert len(model.requests) == 1
    assert summaries_service._variant_turns == {}  # nothing kept once nobody waits


async def test_a_failed_model_variant_falls_back_to_the_template_with_the_reason(
    model_client: httpx.AsyncClient, db: Database, team: Team, model: FakeOpenAI
) -> None:
    handoff_id, _ = await summarized(db, team)
    model.mode = "error_500"
    model.retry_after = "0"

    made = (
        await model_client.post(
            f"/api/v1/handoffs/{handoff_id}/summary/variants/client_update", headers=team.senior.headers
        )
    ).json()

    assert made["engine"] == "offline" and "Thanks for your patience" in made["text"]
    assert made["fallback_reason"] == f"{FAST_MODEL}: provider returned HTTP 500"


async def test_viewers_make_no_variants(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    handoff_id, _ = await summarized(db, team)
    response = await client.post(
        f"/api/v1/handoffs/{handoff_id}/summary/variants/client_update", headers=team.viewer.headers
    )
    assert response.status_code == 403  # the role is checked first: viewers make none anywhere
    # but reads it, as on the pickup screen (handoffs/policy.py: viewers read every handoff)
    assert (
        await client.get(f"/api/v1/handoffs/{handoff_id}/summary", headers=team.viewer.headers)
    ).status_code == 200


# --- workspace suggestions ------------------------------------------------------------------------------


async def test_offline_suggestions_at_once(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    await vpn_history(db, team.senior)
    session = await vpn_session(db, team.junior)

    response = await client.post(f"/api/v1/sessions/{session.id}/suggestions", headers=team.junior.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "offline" and body["model_available"] is False
    assert len(body["suggested_steps"]) == 1 and "MTU to 1400" in body["suggested_steps"][0]
    # Two resolved sessions fixed the same way, well ahead of the unrelated one (listed, judged weak).
    assert body["confidence"] == "high"
    vpn = [s for s in body["similar_sessions"] if "VPN" in s["problem"]]
    assert len(vpn) == 2 and vpn[0]["strength"] != "weak"
    assert all(s["strength"] == "weak" for s in body["similar_sessions"] if "Printer" in s["problem"])
    assert body["likely_cause"].startswith("Probably the same as a resolved session")


async def test_suggestion_rules(client: httpx.AsyncClient, db: Database, team: Team) -> None:
    session = await vpn_session(db, team.junior)
    url = f"/api/v1/sessions/{session.id}/suggestions"
    # a viewer reads the session (handoffs/policy.py) but may not work it: 403, not 404
    assert (await client.post(url, headers=team.viewer.headers)).status_code == 403
    # The senior may read an escalated session but not work it; the junior's own is not active then.
    await escalate(db, team.junior, session)
    assert (await client.post(url, headers=team.junior.headers)).status_code == 409
    assert (await client.post(url, headers=team.senior.headers)).status_code == 403
    no_steps = await make_session(db, team.junior, problem="Printer offline")
    fresh = await client.post(f"/api/v1/sessions/{no_steps.id}/suggestions", headers=team.junior.headers)
    assert fresh.json()["confidence"] == "low" and fresh.json()["suggested_steps"] == []


async def test_model_suggestions_are_one_call_each_and_limited_per_user(
    model_client: httpx.AsyncClient, db: Database, team: Team, model: FakeOpenAI
) -> None:
    await vpn_history(db, team.senior)
    session = await vpn_session(db, team.junior, with_secrets=True)
    url = f"/api/v1/sessions/{session.id}/suggestions"

    offline_first = (await model_client.post(f"{url}?engine=offline", headers=team.junior.headers)).json()
    assert offline_first["engine"] == "offline" and offline_first["model_available"] is True
    assert model.requests == []

    # The limit is 2 an hour here; five at once still make exactly two calls.
    replies = await asyncio.gather(*(model_client.post(url, headers=team.junior.headers) for _ in range(5)))
    bodies = [r.json() for r in replies]
    assert len(model.requests) == 2
    by_model = [b for b in bodies if b["engine"] == MAIN_MODEL]
    limited = [b for b in bodies if b["engine"] == "offline"]
    assert len(by_model) == 2 and len(limited) == 3
    assert by_model[0]["suggested_steps"] == GOOD_ASSESSMENT["suggested_steps"]
    assert limited[0]["fallback_reason"].startswith("model suggestions are limited to 2 per user per hour")
    for request in model.requests:
        for secret in SECRETS:
            assert secret not in request.raw.decode()

    runs = (
        await model_client.get("/api/v1/model-runs?purpose=suggestions", headers=team.admin.headers)
    ).json()
    assert len(runs) == 2 and {r["error"] for r in runs} == {None}


# --- model runs -----------------------------------------------------------------------------------------


async def test_model_runs_are_for_admins_and_owners(
    client: httpx.AsyncClient, db: Database, team: Team, model: FakeOpenAI
) -> None:
    await vpn_history(db, team.senior)
    handoff = await escalate(db, team.junior, await vpn_session(db, team.junior))
    await drain(
        SummaryQueue(config=LlmConfig("openai:main-model", model.base_url, 2.0, api_key=NO_KEY_PLACEHOLDER)),
        db,
    )

    runs = await client.get(f"/api/v1/handoffs/{handoff.id}/runs", headers=team.admin.headers)
    assert runs.status_code == 200
    (run,) = runs.json()
    assert run["purpose"] == "assessment" and run["parsed"] is True
    assert run["input_text"] == model.requests[0].raw.decode()
    assert json.loads(run["raw_output"]) == GOOD_ASSESSMENT
    assert run["output"]["likely_cause"] == GOOD_ASSESSMENT["likely_cause"]
    assert (run["input_tokens"], run["output_tokens"]) == (1200, 240)

    listed = (await client.get("/api/v1/model-runs", headers=team.admin.headers)).json()
    assert [r["id"] for r in listed] == [run["id"]] and "input_text" not in listed[0]
    one = await client.get(f"/api/v1/model-runs/{run['id']}", headers=team.admin.headers)
    assert one.json()["input_text"] == run["input_text"]

    for member in (team.senior, team.junior, team.viewer):
        assert (
            await client.get(f"/api/v1/handoffs/{handoff.id}/runs", headers=member.headers)
        ).status_code == 403
        assert (await client.get("/api/v1/model-runs", headers=member.headers)).status_code == 403
    other = await make_account(db, name="Elsewhere")
    owner = await make_user(db, other, role="owner", password=None)
    assert (await client.get(f"/api/v1/model-runs/{run['id']}", headers=owner.headers)).status_code == 404
    assert (await client.get("/api/v1/model-runs", headers=owner.headers)).json() == []
