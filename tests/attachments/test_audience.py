"""Who hears of a new attachment on the live stream: whoever may read the session."""

from __future__ import annotations

import uuid

from relaydesk.accounts.actor import ROLE_RANK
from relaydesk.live.audience import audience_of


def test_an_attachment_reaches_the_sessions_readers_and_while_queued_every_engineer() -> None:
    owner, assignee, actor, other = (uuid.uuid4() for _ in range(4))
    payload = {"readers": [str(owner), str(assignee)], "in_queue": False}
    held = audience_of("attachment.added", actor_id=actor, audience_user_id=None, payload=payload)
    assert held.admits(owner, ROLE_RANK["engineer"]) and held.admits(assignee, ROLE_RANK["engineer"])
    assert held.admits(actor, ROLE_RANK["engineer"])
    assert held.admits(other, ROLE_RANK["admin"])
    assert not held.admits(other, ROLE_RANK["engineer"]) and not held.admits(other, ROLE_RANK["viewer"])

    queued = audience_of(
        "attachment.added", actor_id=owner, audience_user_id=None, payload={**payload, "in_queue": True}
    )
    assert queued.admits(other, ROLE_RANK["engineer"]) and not queued.admits(other, ROLE_RANK["viewer"])
