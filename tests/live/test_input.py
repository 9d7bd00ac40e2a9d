"""Positions past PostgreSQL's bigint are a 422, before any stream starts."""

from __future__ import annotations

import httpx

from relaydesk.db.uow import Database
from tests.factories import make_account, make_user


async def test_oversized_positions_are_a_422(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account, password=None)
    too_big = await client.get("/api/v1/live?since=99999999999999999999999", headers=jane.headers)
    assert too_big.status_code == 422, too_big.text
    assert too_big.headers["content-type"].startswith("application/problem+json")
    assert "since" in too_big.json()["detail"]
    header = await client.get(
        "/api/v1/live", headers={**jane.headers, "Last-Event-ID": "9223372036854775808"}
    )
    assert header.status_code == 422 and "Last-Event-ID" in header.json()["detail"]
    latin1_digits = await client.get(
        "/api/v1/live", headers={**jane.headers, "Last-Event-ID": "²".encode("latin-1")}
    )
    assert latin1_digits.status_code == 422  # str.isdigit() says yes to "²"; int() does not
