"""A secret in every free-text field reaches no model request, stored model run or summary text.

Covers the escalation summary (the worker's call), the workspace suggestions (the session as it
stands), the client update (a rewrite call on the ticket note) and the offline email draft and
ticket note, with a resolved session in the account's history that carries secrets too. The fake
vendors record every request they receive (tests/fakes/llm.py).
"""

from __future__ import annotations

import json

import psycopg

from relaydesk.db.uow import Database
from relaydesk.summaries.jobs import SummaryQueue
from relaydesk.summaries.suggestions import suggest
from relaydesk.summaries.variants import make_variant
from tests.factories import escalate, make_session, make_step
from tests.redaction import fields
from tests.summaries.conftest import Team, Vendor, drain, load_handoff, resolved_session


async def test_a_secret_in_every_free_text_field_reaches_no_model(
    db: Database, team: Team, vendor: Vendor, admin_conn: psycopg.Connection
) -> None:
    await resolved_session(
        db,
        team.senior,
        problem=f"NAS login fails for the office. {fields.text('history_problem')}",
        resolution=fields.text("history_resolution"),
        client=fields.text("client"),
    )
    session = await make_session(
        db,
        team.junior,
        problem=fields.text("problem"),
        client=fields.text("client"),
        category=fields.text("category"),
    )
    await make_step(db, team.junior, session, action=fields.text("action"), result=fields.text("result"))
    await make_step(db, team.junior, session, action=fields.text("note"), result=None, outcome="info")

    config = vendor.config()
    suggestions = await suggest(db, team.junior.actor, session.id, config=config)
    handoff = await escalate(
        db, team.junior, session, reason=fields.text("reason"), notes=fields.text("notes")
    )
    await drain(SummaryQueue(config=config), db)
    update = await make_variant(db, team.senior.actor, handoff.id, "client_update", config=config)
    email = await make_variant(db, team.senior.actor, handoff.id, "email_draft", config=None)

    assert len(vendor.fake.requests) == 3  # suggestions, the summary, the client update
    sent = [r.raw.decode() for r in vendor.fake.requests]
    assert "NAS login fails" in sent[1] and "backupadmin" in sent[1]  # the material did go out
    runs = [
        row[0]
        for row in admin_conn.execute(
            "SELECT input_text FROM model_runs WHERE account_id = %s", (team.account.id,)
        )
    ]
    assert len(runs) == 3
    stored = json.dumps((await load_handoff(db, handoff)).summary)
    outputs = [*sent, *runs, stored, update.text, update.ticket_note, email.text, email.ticket_note]
    outputs.append(
        suggestions.model_dump_json() if hasattr(suggestions, "model_dump_json") else repr(suggestions)
    )
    for body in outputs:
        assert fields.leaks(body) == [], body[:400]
