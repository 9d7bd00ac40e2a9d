"""Our overhead around one model call, and tokens per escalation against the three-call design it replaces.

    .venv/bin/python -m benchmarks.summaries_llm_overhead [--escalations 40] [--delay 1.0]

A local OpenAI-compatible server (tests/fakes/llm.py, as Ollama or vLLM would be) answers every request
after a fixed delay D with a valid assessment. A real `relaydesk serve` (worker inside, woken by
NOTIFY) is pointed at it with RELAYDESK_LLM_MODEL / RELAYDESK_LLM_BASE_URL. Per escalation the clock
runs from sending the POST until the handoff is `ready` with the model's summary; minus D that is our
overhead: the escalation's commit, the offline draft, the lease, building the SDK client, the request
and the final write. Sessions and history are the #ubuntu IRC threads (as in summaries_offline.py).

Tokens: every request body the fake received is counted with the o200k_base BPE (the `bpe-openai`
package, which ships it; without it, characters / 4): system and user text plus the tool schema.
The baseline is the design this replaces: three calls per escalation, each sending the same material
(an assessment, a briefing for the senior, a ticket note), sent to the same fake through pydantic-ai and
counted the same way. Output tokens are counted on realistic replies: for us, one assessment (whose
`ticket_note` is the ticket note and whose fields are the briefing); for the baseline, the assessment
without the prose, a briefing paragraph and a ticket-note paragraph.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any, Literal

import httpx
import psycopg
from pydantic import BaseModel
from pydantic_ai import Agent, ModelSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider
from tests.fakes.llm import FakeOpenAI

from benchmarks._support import ms, percentile, scratch_database, serve
from benchmarks.summaries_offline import HISTORY, add_session, states, team, threads
from relaydesk.db.uow import Database
from relaydesk.handoffs.models import Handoff
from relaydesk.live.service import CHANNEL as EVENTS_CHANNEL
from relaydesk.summaries.llm import NO_KEY_PLACEHOLDER
from relaydesk.summaries.material import handoff_material
from relaydesk.summaries.prompts import render_material

MODEL = "openai:bench-model"

ASSESSMENT: dict[str, Any] = {
    "ticket_note": (
        "The user's laptop stopped connecting to the office Wi-Fi after the driver update on Monday. "
        "The technician removed and re-added the network profile and rolled back the driver; neither "
        "helped, although the adapter now sees the network. The likely cause is the new WPA3-only setting "
        "on the access point, which the adapter's driver does not support. Next step: set the SSID to "
        "WPA2/WPA3 transitional mode or update the adapter firmware."
    ),
    "what_we_know": [
        "Wi-Fi stopped connecting after Monday's driver update",
        "Removing and re-adding the network profile did not help",
        "Rolling the driver back did not help",
        "The adapter sees the network but authentication fails",
    ],
    "likely_cause": "The access point now requires WPA3, which the adapter's driver does not support.",
    "suggested_steps": [
        "Set the SSID to WPA2/WPA3 transitional mode",
        "Update the adapter firmware",
        "Test with a USB Wi-Fi adapter",
    ],
    "confidence": "medium",
    "evidence": ["S2", "S3", "P1"],
}
BRIEFING = (
    "Briefing: the client's laptop cannot join the office Wi-Fi since Monday's driver update. Jamie removed "
    "and re-added the network profile and rolled the driver back; neither helped, though the adapter now "
    "lists the network and fails at authentication. A similar case last month was fixed by switching the "
    "SSID to WPA2/WPA3 transitional mode. Start by checking the access point's security mode, then the "
    "adapter firmware. Confidence is medium: the symptoms match but the security change is not confirmed."
)

OLD_ASSESS = (
    "You are a senior IT support engineer. Read the escalated troubleshooting session below and reply with "
    "the most likely cause, the next steps to try and your confidence (low, medium or high) as JSON."
)
OLD_BRIEFING = (
    "You are a senior IT support engineer. Write a short briefing for the engineer taking over the "
    "escalated troubleshooting session below: the problem, what was tried and what happened, and where to "
    "start. Plain prose, one paragraph."
)
OLD_NOTE = (
    "You are an IT support technician. Write the ticket note for the PSA for the troubleshooting session "
    "below: the problem, what was done and the next step, in 3 to 6 plain sentences."
)


def counter() -> tuple[str, Any]:
    try:
        import bpe_openai

        encoding = bpe_openai.get_encoding("o200k_base")
        return "o200k_base BPE", lambda text: len(encoding.encode(text))
    except ImportError:
        return "characters / 4 (install bpe-openai for BPE counts)", lambda text: round(len(text) / 4)


def request_text(body: dict[str, Any]) -> str:
    """What a provider bills as input: every message's text and the tool definitions."""
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(block.get("text", "") for block in content)
    if body.get("tools"):
        parts.append(json.dumps(body["tools"]))
    return "\n".join(parts)


class OldAssessment(BaseModel):
    likely_cause: str
    suggested_steps: list[str]
    confidence: Literal["low", "medium", "high"]


async def baseline_requests(fake: FakeOpenAI, db: Database, handoff_rows: list[tuple[Any, Any]]) -> list[int]:
    """Send the old design's three calls per escalation to the fake; return the number of bodies sent."""
    provider = OpenAICompatibleProvider(
        "openai-compatible", base_url=fake.base_url, api_key=NO_KEY_PLACEHOLDER
    )
    model = OpenAIChatModel("bench-model", provider=provider)
    settings = ModelSettings(max_tokens=800)
    counts = []
    for handoff_id, account_id in handoff_rows:
        async with db.uow(account_id) as uow:
            handoff = await uow.get(Handoff, handoff_id)
            assert handoff is not None
            material = render_material(await handoff_material(uow, handoff))
        before = len(fake.requests)
        assessment: Agent[None, OldAssessment] = Agent(
            model, instructions=OLD_ASSESS, output_type=OldAssessment
        )
        await assessment.run(material, model_settings=settings)
        for instructions in (OLD_BRIEFING, OLD_NOTE):
            prose: Agent[None, str] = Agent(model, instructions=instructions, output_type=str)
            await prose.run(material, model_settings=settings)
        counts.append(len(fake.requests) - before)
    return counts


async def main(escalations: int, delay: float) -> None:
    url = scratch_database("summaries_llm")
    db = Database(url, pool_size=4)
    junior, senior, token = await team(db, "Bench MSP")
    demo = threads()
    for item in demo[:HISTORY]:
        await add_session(db, senior, item, resolve=True)
    pool = demo[HISTORY:]
    label, count = counter()

    with FakeOpenAI(payload=ASSESSMENT, text=BRIEFING, api_key=NO_KEY_PLACEHOLDER, delay=delay) as fake:
        env = {
            "RELAYDESK_LLM_MODEL": MODEL,
            "RELAYDESK_LLM_BASE_URL": fake.base_url,
            "RELAYDESK_SUMMARY_DEADLINE_SECONDS": str(delay + 20),
        }
        rows: list[tuple[Any, Any]] = []
        drafts, readies, overheads = [], [], []
        with serve(url, env=env) as base:
            watch = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await watch.execute(f"LISTEN {EVENTS_CHANNEL}")
            async with watch, httpx.AsyncClient(base_url=base, timeout=60) as client:
                headers = {"Authorization": f"Bearer {token}"}
                for n in range(escalations):
                    sid = await add_session(db, junior, pool[n % len(pool)], resolve=False)
                    started = time.perf_counter()
                    response = await client.post(
                        f"/api/v1/sessions/{sid}/handoffs",
                        headers=headers,
                        json={"intent": "escalate", "reason": "Out of ideas"},
                    )
                    assert response.status_code == 201, response.text
                    hid = response.json()["id"]
                    draft_at = None
                    async for state, engine in states(watch, hid, started):
                        now = time.perf_counter()
                        if state == "draft" and draft_at is None:
                            draft_at = now
                        if state == "ready":
                            final_engine = engine
                            break
                    assert final_engine == MODEL, f"not refined: {final_engine}"
                    drafts.append((draft_at or now) - started)
                    readies.append(now - started)
                    overheads.append(now - started - delay)
                    rows.append((hid, junior.account_id))
        ours = [request_text(r.body) for r in fake.requests]
        assert len(ours) == escalations, f"{len(ours)} model requests for {escalations} escalations"

        fake.reset()
        fake.delay = 0
        per_escalation = await baseline_requests(fake, db, rows)
        baseline = [request_text(r.body) for r in fake.requests]
    await db.dispose()

    our_in = sum(count(t) for t in ours) / escalations
    base_in = sum(count(t) for t in baseline) / escalations
    our_out = count(json.dumps(ASSESSMENT))
    without_prose = {k: v for k, v in ASSESSMENT.items() if k != "ticket_note"}
    base_out = count(json.dumps(without_prose)) + count(BRIEFING) + count(ASSESSMENT["ticket_note"])

    def spread(values: list[float]) -> str:
        return f"p50 {ms(percentile(values, 50))}, p95 {ms(percentile(values, 95))}"

    print(f"fake OpenAI-compatible server, fixed delay D = {delay:g} s; {escalations} escalations in turn")
    print(f"model requests per escalation: {len(ours) / escalations:g} (baseline: {per_escalation[0]})")
    print(f"escalate POST → draft:               {spread(drafts)}")
    print(f"escalate POST → refined ready:       {spread(readies)}")
    print(f"overhead (POST → refined ready) − D: {spread(overheads)}")
    print(f"tokens per escalation ({label}):")
    print(f"  ours, one call:        input {our_in:,.0f}, output {our_out:,} → {our_in + our_out:,.0f}")
    print(f"  baseline, three calls: input {base_in:,.0f}, output {base_out:,} → {base_in + base_out:,.0f}")
    print(f"  ours / baseline: {(our_in + our_out) / (base_in + base_out):.0%} of the tokens")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalations", type=int, default=40)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(main(args.escalations, args.delay))
