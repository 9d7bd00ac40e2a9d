"""Request bodies say what they mean: unknown fields are a 422 that names them (invariant 11)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from relaydesk.db.uow import Database
from tests.factories import make_account, make_user


def _json_body_schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation's JSON request body schema, resolved through $ref, by 'METHOD path'."""
    components = spec.get("components", {}).get("schemas", {})
    found: dict[str, dict[str, Any]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue
            ref = schema.get("$ref", "")
            found[f"{method.upper()} {path}"] = components[ref.rsplit("/", 1)[-1]] if ref else schema
    return found


async def test_every_json_request_body_forbids_unknown_fields(app: FastAPI) -> None:
    bodies = _json_body_schemas(app.openapi())
    assert bodies, "the OpenAPI lists no JSON request bodies"
    open_ended = [op for op, schema in bodies.items() if schema.get("additionalProperties") is not False]
    assert open_ended == [], f"these accept unknown fields: {open_ended}"


async def test_a_misspelt_field_is_named_with_the_close_one(client: httpx.AsyncClient, db: Database) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    answer = await client.post(
        "/api/v1/sessions",
        headers=jane.headers,
        json={"problem_summary": "Outlook will not sync", "psa_ticket_id": "T-1001"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "Unknown field psa_ticket_id; did you mean ticket_id?" in answer.json()["detail"]
    listed = await client.get("/api/v1/sessions", headers=jane.headers)
    assert listed.json() == [] or listed.json().get("items") == []  # nothing half-written


async def test_an_unknown_field_with_no_close_name_is_still_named(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await make_account(db)
    jane = await make_user(db, account)
    session = await client.post(
        "/api/v1/sessions", headers=jane.headers, json={"problem_summary": "VPN drops"}
    )
    answer = await client.post(
        f"/api/v1/sessions/{session.json()['id']}/steps",
        headers=jane.headers,
        json={"action": "Reinstalled the client", "zzz": 1},
    )
    assert answer.status_code == 422
    assert "Unknown field zzz" in answer.json()["detail"]
