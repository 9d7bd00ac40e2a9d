"""At resolve with no answer: a verdict inferred from the resolution, marked inferred (hand-computed).

Cause "The firewall idle timeout drops the VPN tunnel" → english lexemes firewal, idl, timeout, drop,
vpn, tunnel (6). Similar resolutions: "Raised the idle timeout" → rais, idl, timeout (3); "Renewed the
certificate" → renew, certif (2).
"""

from __future__ import annotations

import httpx
import pytest

from relaydesk.db.uow import Database
from tests.feedback.conftest import Team, claimed_escalation


@pytest.mark.parametrize(
    ("resolution", "verdict", "score"),
    [
        # firewal, idl, timeout of the cause's 6 → 0.5; rais, idl, timeout of P1's 3 → 1.0 (best)
        ("Raised the idle timeout on the firewall to 8 hours", "yes", 1.0),
        # firewal, vpn of 6 → 0.333; nothing of P1 or P2
        ("Replaced the firewall, VPN is stable", "partly", 0.333),
        ("Replaced the user's laptop battery", "no", 0.0),
    ],
)
async def test_inferred_verdict_at_resolve(
    db: Database, client: httpx.AsyncClient, team: Team, resolution: str, verdict: str, score: float
) -> None:
    handoff = await claimed_escalation(db, client, team)
    done = await client.post(
        f"/api/v1/sessions/{handoff.session_id}/resolve",
        json={"resolution": resolution},
        headers=team.senior.headers,
    )
    assert done.status_code == 200, done.text
    body = (
        await client.get(f"/api/v1/handoffs/{handoff.id}/assessment-feedback", headers=team.senior.headers)
    ).json()
    assert (body["cause"], body["inferred"], body["inferred_score"], body["answered_by_id"]) == (
        verdict,
        True,
        score,
        None,
    )
