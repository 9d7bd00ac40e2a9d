"""Who in an account may receive an event on the live stream.

Everything stays inside the account (the hub routes by account id before this is asked). Within it:

- an event with `audience_user_id` (a bell item, a private park or resume) reaches that user only;
- `notification.*` without one reaches nobody: a bell item always names its user;
- `handoff.*` is queue-level (problem, client, ticket, priority, escalator, step count, who claimed):
  every member, viewers included, since `GET /api/v1/handoffs` shows viewers the same rows;
- `summary.*` carries the assessment, which only engineers and up may open (the pickup screen);
  `delivery.*` (a message that gave up) is for the working roles too, like the session screens;
- a handoff or summary event whose payload names a `target_user_id` was sent to one teammate:
  it reaches that teammate, its actor and the escalator, and admins and owners, as the queue does;
- `comment.*`, `step.*` and `attachment.*` (a remark, a step added, corrected or deleted, a file)
  reach whoever may read the session: the `readers` the payload names (owner, assignee), admins
  and owners, and every engineer while `in_queue` (sessions/access.py writes both);
- any other type reaches its actor and admins and owners only, until someone decides otherwise
  here: a new event type is private by default, never broadcast by accident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from relaydesk.accounts.actor import ROLE_RANK


@dataclass(frozen=True, slots=True)
class Audience:
    """These users, plus everyone whose role ranks at least `min_rank` (None: nobody else)."""

    users: frozenset[uuid.UUID] = frozenset()
    min_rank: int | None = None

    def admits(self, user_id: uuid.UUID, rank: int) -> bool:
        return user_id in self.users or (self.min_rank is not None and rank >= self.min_rank)


_MANAGERS = ROLE_RANK["admin"]
_BROADCAST_RANK = {
    "handoff": ROLE_RANK["viewer"],
    "summary": ROLE_RANK["engineer"],
    "delivery": ROLE_RANK["engineer"],
}

# Families whose events reach the session's readers, named in the payload.
_SESSION_READERS = frozenset({"attachment", "comment", "step"})


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def audience_of(
    type: str, *, actor_id: uuid.UUID | None, audience_user_id: uuid.UUID | None, payload: dict[str, Any]
) -> Audience:
    if audience_user_id is not None:
        return Audience(users=frozenset({audience_user_id}))
    family = type.split(".", 1)[0]
    if family == "notification":
        return Audience()
    involved = {u for u in (actor_id, _uuid(payload.get("escalator_id"))) if u}
    if family in _SESSION_READERS:
        readers = {u for u in (_uuid(r) for r in payload.get("readers") or []) if u}
        rank = ROLE_RANK["engineer"] if payload.get("in_queue") else _MANAGERS
        return Audience(users=frozenset(readers | involved), min_rank=rank)
    if family in _BROADCAST_RANK:
        target = _uuid(payload.get("target_user_id"))
        if target is not None:
            return Audience(users=frozenset({target, *involved}), min_rank=_MANAGERS)
        return Audience(min_rank=_BROADCAST_RANK[family])
    return Audience(users=frozenset(involved), min_rank=_MANAGERS)
