"""The demo seed: an MSP's IT support history only, the same on every start, fast to restart, resettable."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import psycopg

from relaydesk.db.uow import Database
from relaydesk.demo import ACCOUNT_NAME, DEMO_PASSWORD, MSP_CATEGORIES, PEOPLE, seed
from relaydesk.demo.history import read_records
from tests.factories import login

IRC_THREADS = Path(__file__).resolve().parents[1] / "data" / "irc_threads.jsonl"
IRC_WORDS = ("#ubuntu", "irc", "CC-BY-4.0", "Kummerfeld", "apt-get", "sudo ", "asker", "helper1")


def _content(conn: psycopg.Connection) -> dict[str, Any]:
    """Everything the seed wrote that a person would see, ids and times included."""
    return {
        "sessions": conn.execute(
            "SELECT id, problem_summary, category, client_name, ticket_id, priority, status, resolution, "
            "owner_id, assignee_id, created_at, resolved_at FROM sessions ORDER BY id"
        ).fetchall(),
        "steps": conn.execute(
            "SELECT id, session_id, author_id, action, result, outcome, created_at FROM steps ORDER BY id"
        ).fetchall(),
        "handoffs": conn.execute(
            "SELECT id, status, created_by_id, claimed_by_id, created_at, claimed_at, first_claimed_at, "
            "released_at, release_count FROM handoffs ORDER BY id"
        ).fetchall(),
        "events": conn.execute(
            "SELECT seq, type, handoff_id, created_at FROM events ORDER BY seq"
        ).fetchall(),
        "users": conn.execute("SELECT id, email, role FROM users ORDER BY email").fetchall(),
    }


def _shape(conn: psycopg.Connection) -> dict[str, Any]:
    """The same without ids and absolute times: what a reset must reproduce exactly."""
    return {
        "sessions": conn.execute(
            "SELECT problem_summary, category, client_name, ticket_id, priority, status, resolution, "
            "o.email, a.email, resolved_at - s.created_at FROM sessions s JOIN users o ON o.id = s.owner_id "
            "LEFT JOIN users a ON a.id = s.assignee_id ORDER BY ticket_id"
        ).fetchall(),
        "steps": conn.execute(
            "SELECT s.ticket_id, u.email, st.action, st.result, st.outcome, st.created_at - s.created_at "
            "FROM steps st JOIN sessions s ON s.id = st.session_id JOIN users u ON u.id = st.author_id "
            "ORDER BY s.ticket_id, st.created_at, st.action"
        ).fetchall(),
        "handoffs": conn.execute(
            "SELECT s.ticket_id, h.status, h.release_count, h.claimed_at - h.created_at "
            "FROM handoffs h JOIN sessions s ON s.id = h.session_id ORDER BY s.ticket_id"
        ).fetchall(),
        "events": conn.execute("SELECT seq, type FROM events ORDER BY seq").fetchall(),
    }


async def test_every_demo_session_reads_as_it_support(database_url: str, db: Database) -> None:
    await seed(database_url)
    threads = [json.loads(line) for line in IRC_THREADS.read_text(encoding="utf-8").splitlines() if line]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT name FROM accounts").fetchall() == [(ACCOUNT_NAME,)]
        sessions = conn.execute(
            "SELECT problem_summary, category, resolution, client_name FROM sessions"
        ).fetchall()
        steps = conn.execute("SELECT action || ' ' || coalesce(result, '') FROM steps").fetchall()
    assert len(sessions) >= 60
    assert {category for _, category, _, _ in sessions} <= set(MSP_CATEGORIES)
    assert all(client for *_, client in sessions), "every ticket belongs to a client"
    text = "\n".join(" ".join(filter(None, row)) for row in sessions) + "\n".join(r[0] for r in steps)
    for word in IRC_WORDS:
        assert word.lower() not in text.lower(), word
    for thread in threads:  # not one IRC thread, by title or by its asker's first words
        assert thread["title"][:40] not in text
        assert thread["turns"][0]["text"][:40] not in text


def test_history_file_is_in_the_import_format_and_fictional() -> None:
    records = read_records()
    keys = {
        "problem",
        "steps",
        "resolution",
        "client",
        "ticket_id",
        "category",
        "priority",
        "closed_at",
        "technician",
    }
    technicians = {p.name for p in PEOPLE if p.role != "viewer"}
    assert 60 <= len(records) <= 120
    assert len({r["ticket_id"] for r in records}) == len(records)
    assert len({r["client"] for r in records}) >= 8 and {r["technician"] for r in records} <= technicians
    for record in records:
        assert set(record) == keys, record["ticket_id"]
        assert record["steps"] and all(
            s["outcome"] in ("fixed", "failed", "partial", "info") for s in record["steps"]
        )
        assert record["category"] in MSP_CATEGORIES and record["priority"] in (
            "low",
            "normal",
            "high",
            "urgent",
        )
    raw = resources.files("relaydesk.demo").joinpath("history.jsonl").read_text(encoding="utf-8")
    # Addresses only from the documentation ranges; domains only .test / .example.
    for ip in re.findall(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", raw):
        assert ip.startswith(("192.0.2.", "198.51.100.", "203.0.113.")), ip
    for domain in re.findall(r"@([\w.-]+)", raw):
        assert domain.endswith((".test", ".example")), domain


async def test_a_second_start_changes_nothing_and_a_reset_seeds_the_same_again(
    database_url: str, db: Database, client: httpx.AsyncClient
) -> None:
    first = await seed(database_url)
    with psycopg.connect(database_url) as conn:
        content, shape = _content(conn), _shape(conn)
    assert await seed(database_url) == first
    with psycopg.connect(database_url) as conn:
        assert _content(conn) == content

    await seed(database_url, reset=True)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
        assert _shape(conn) == shape
        assert _content(conn)["sessions"] != content["sessions"]  # new rows, not the old ones kept

    senior = dict(first)["senior engineer"]
    signed_in = await login(client, senior, DEMO_PASSWORD)
    assert signed_in.status_code == 303


async def test_a_seed_that_died_half_way_is_done_again(database_url: str, db: Database) -> None:
    await seed(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        complete = _shape(conn)
        conn.execute("DELETE FROM handoffs")  # as if the last transaction never committed
    await seed(database_url)
    with psycopg.connect(database_url) as conn:
        assert _shape(conn) == complete


async def test_the_team_has_a_past_for_analytics(database_url: str, db: Database) -> None:
    await seed(database_url)
    with psycopg.connect(database_url) as conn:
        rows = dict(conn.execute("SELECT status, count(*) FROM handoffs GROUP BY status").fetchall())
        assert rows["open"] == 2 and rows["claimed"] >= 30 and rows["withdrawn"] >= 3
        late = conn.execute(
            "SELECT count(*) FROM handoffs WHERE claimed_at - created_at > interval '15 minutes'"
        ).fetchone()
        released = conn.execute("SELECT count(*) FROM handoffs WHERE release_count > 0").fetchone()
        assert late is not None and late[0] >= 5 and released is not None and released[0] >= 3
        # every claimed escalation's claimer logged a step after the claim (a first action)
        missing = conn.execute(
            "SELECT count(*) FROM handoffs h WHERE h.status = 'claimed' AND NOT EXISTS ("
            "SELECT 1 FROM steps s WHERE s.session_id = h.session_id AND s.author_id = h.claimed_by_id "
            "AND s.created_at >= h.claimed_at)"
        ).fetchone()
        assert missing == (0,)
        # events in time order: seq order is the order things happened
        times = [r[0] for r in conn.execute("SELECT created_at FROM events ORDER BY seq").fetchall()]
        assert times == sorted(times)
        # the last 30 days hold real figures, and the whole history is searchable
        recent = conn.execute(
            "SELECT count(*) FROM handoffs "
            "WHERE claimed_at IS NOT NULL AND created_at > now() - interval '30 days'"
        ).fetchone()
        unindexed = conn.execute(
            "SELECT count(*) FROM sessions WHERE status = 'resolved' AND search_document IS NULL"
        ).fetchone()
        assert recent is not None and recent[0] >= 10 and unindexed == (0,)
