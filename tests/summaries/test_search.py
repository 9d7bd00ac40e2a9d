"""Similar sessions by PostgreSQL full-text search: resolved history of the same account only."""

from __future__ import annotations

import psycopg

from relaydesk.db.uow import Database
from relaydesk.sessions import service as sessions
from relaydesk.sessions.schemas import ResolveIn
from relaydesk.summaries import service as summaries
from tests.factories import make_account, make_session, make_step, make_user
from tests.summaries.conftest import Team, resolved_session, vpn_history


async def similar(db: Database, team: Team, problem: str, context: str = "") -> list[str]:
    async with db.uow(team.account.id) as uow:
        found = await summaries.find_similar(uow, team.account.id, problem=problem, context=context)
    return [s.problem for s in found]


async def test_the_search_document_is_kept_when_a_session_resolves(
    db: Database, team: Team, admin_conn: psycopg.Connection
) -> None:
    session = await make_session(db, team.junior, problem="Outlook keeps prompting for the password")
    await make_step(db, team.junior, session, action="Cleared the credential manager", result="Fixed")
    row = admin_conn.execute("SELECT search_document FROM sessions WHERE id = %s", (session.id,)).fetchone()
    assert row == (None,)  # active sessions are not history

    async with db.uow(team.account.id) as uow:
        await sessions.resolve_session(
            uow, team.junior.actor, session.id, ResolveIn(resolution="Rebuilt the Outlook profile")
        )

    (doc,) = admin_conn.execute(
        "SELECT search_document::text FROM sessions WHERE id = %s", (session.id,)
    ).fetchone()
    # Problem (A), resolution (B) and steps (C) are all in it, weighted.
    assert "'outlook':1A" in doc and "'rebuilt':" in doc and "'credenti':" in doc
    (index,) = admin_conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_sessions_search'"
    ).fetchone()
    assert "USING gin (search_document)" in index and "WHERE" in index


async def test_best_matches_first_and_unrelated_ones_left_out(db: Database, team: Team) -> None:
    await vpn_history(db, team.senior)

    found = await similar(db, team, "VPN drops every 5 minutes for the finance team")

    assert found[0] in (
        "VPN keeps dropping every few minutes for remote staff",
        "Remote staff VPN disconnects every 5 minutes",
    )
    assert len(found) == 2
    assert "Printer on the second floor prints blank pages" not in found


async def test_scores_are_the_share_of_problem_terms_matched(db: Database, team: Team) -> None:
    await resolved_session(
        db, team.senior, problem="Printer prints blank pages", resolution="Replaced toner."
    )
    async with db.uow(team.account.id) as uow:
        (match,) = await summaries.find_similar(
            uow, team.account.id, problem="Printer prints blank pages on the second floor"
        )
    # printer, print, blank, page of printer, print, blank, page, second, floor
    assert match.score == round(4 / 6, 2)


async def test_only_resolved_sessions_of_this_account_are_found(db: Database, team: Team) -> None:
    other = await make_account(db, name="Other MSP")
    stranger = await make_user(db, other, role="engineer")
    await resolved_session(
        db, stranger, problem="VPN drops every 5 minutes for finance", resolution="Other account's fix."
    )
    await make_session(
        db, team.junior, problem="VPN drops every 5 minutes for finance"
    )  # active: not history

    assert await similar(db, team, "VPN drops every 5 minutes for the finance team") == []

    await vpn_history(db, team.senior)
    found = await similar(db, team, "VPN drops every 5 minutes for the finance team")
    assert found and "VPN drops every 5 minutes for finance" not in found


async def test_a_problem_with_no_search_terms_finds_nothing(db: Database, team: Team) -> None:
    await vpn_history(db, team.senior)
    assert await similar(db, team, "it is not the one") == []


async def test_secrets_in_history_are_redacted_in_what_is_returned(db: Database, team: Team) -> None:
    await resolved_session(
        db,
        team.senior,
        problem="VPN drops for the finance team every few minutes",
        resolution="Lowered the MTU. The admin password: Hunter2Secret! was rotated too.",
    )
    async with db.uow(team.account.id) as uow:
        (match,) = await summaries.find_similar(uow, team.account.id, problem="VPN drops for finance team")
    assert "Hunter2Secret!" not in match.resolution and "[redacted password]" in match.resolution
