"""Who may do what to a handoff, and to the session it hands off, in which state (invariant 10).

Each rule is written once. The rules a query needs (read, claim, the queue) are written over an
`Ops` — the same definition evaluated on a loaded row with Python values (`PY`) or turned into a
SQL clause over the `Handoff` columns (`SQL`) — so the claim's conditional UPDATE, the queue and
the pages' buttons cannot drift apart. The others are plain predicates. The services still say
*why* a refusal happened (most specific reason first); whether it happens is decided here.

tests/handoffs/test_policy.py walks every (state × role × relation) cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, false, or_, true

from relaydesk.accounts.actor import Actor
from relaydesk.errors import NotPermitted
from relaydesk.handoffs.models import Handoff

# How long the releaser of a handoff must leave it to others before claiming it again.
RELEASE_COOLDOWN = timedelta(minutes=10)
# Who can pick up and work escalations (not viewers).
WORKING_ROLES = ("engineer", "admin", "owner")


class HandoffFacts(Protocol):
    """What the rules read of a handoff: the row, its API shape, or its columns."""

    intent: Any
    status: Any
    created_by_id: Any
    claimed_by_id: Any
    target_user_id: Any
    released_by_id: Any
    released_at: Any


class SessionFacts(Protocol):
    status: Any
    owner_id: Any
    assignee_id: Any


@dataclass(frozen=True)
class Ops:
    """How a rule combines its conditions: Python truth on values, or SQL on columns."""

    all: Callable[..., Any]
    any: Callable[..., Any]
    const: Callable[[bool], Any]
    is_none: Callable[[Any], Any]
    before: Callable[[Any, datetime], Any]  # the moment is set and earlier than the other


PY = Ops(
    all=lambda *c: all(c),
    any=lambda *c: any(c),
    const=bool,
    is_none=lambda v: v is None,
    before=lambda v, t: v is not None and v < t,
)
SQL = Ops(
    all=and_,
    any=or_,
    const=lambda b: true() if b else false(),
    is_none=lambda c: c.is_(None),
    before=lambda c, t: c < t,
)


# --- who reads everything, who may write -------------------------------------------------------


def reads_account(actor: Actor) -> bool:
    """Admins and owners, and viewers (an account's manager, a client-success person), read every
    handoff and session of the account: the queue, the sessions lists, the pickup screens. Viewers
    change nothing (`require_worker`)."""
    return actor.is_manager or actor.role == "viewer"


def may_write(actor: Actor) -> bool:
    """Every write on handoffs and sessions needs an engineer or above."""
    return actor.at_least("engineer")


def require_worker(actor: Actor, doing: str) -> None:
    """The one refusal of a viewer's write, on the API (403) and the pages alike."""
    if not may_write(actor):
        raise NotPermitted(
            f"A viewer can read escalations and sessions but cannot {doing}; "
            "ask an admin or owner of your account for an engineer role."
        )


# --- the rules written once, over Ops ------------------------------------------------------------


def _for_me(o: Ops, h: HandoffFacts, actor: Actor) -> Any:
    """A targeted escalation is its target's; admins and owners may take any, viewers read any."""
    if reads_account(actor):
        return o.const(True)
    return o.any(o.is_none(h.target_user_id), h.target_user_id == actor.user_id)


def _waiting_for(o: Ops, h: HandoffFacts, actor: Actor) -> Any:
    """The escalations the queue shows `actor` (with a status filter): not their own, and for them."""
    return o.all(h.intent == "escalate", h.created_by_id != actor.user_id, _for_me(o, h, actor))


def _claimable(o: Ops, h: HandoffFacts, actor: Actor, now: datetime) -> Any:
    if not may_write(actor):
        return o.const(False)
    return o.all(
        _waiting_for(o, h, actor),
        h.status == "open",
        # whoever released it leaves it to the others for a while
        o.any(
            o.is_none(h.released_by_id),
            h.released_by_id != actor.user_id,
            o.before(h.released_at, now - RELEASE_COOLDOWN),
        ),
    )


def _readable(o: Ops, h: HandoffFacts, actor: Actor) -> Any:
    if reads_account(actor):
        return o.const(True)
    in_transit = o.all(h.intent == "escalate", h.status == "open", _for_me(o, h, actor))
    return o.any(h.created_by_id == actor.user_id, h.claimed_by_id == actor.user_id, in_transit)


# --- predicates ----------------------------------------------------------------------------------


def may_read(actor: Actor, handoff: HandoffFacts) -> bool:
    """Its escalator and claimer, admins, owners and viewers; while open, the engineers it is for.
    Parked handoffs are otherwise private to whoever parked them."""
    return bool(_readable(PY, handoff, actor))


def may_claim(actor: Actor, handoff: HandoffFacts, now: datetime) -> bool:
    """An open escalation, by an engineer (or admin, owner) who did not escalate it, it is for, and
    who did not release it in the last RELEASE_COOLDOWN (invariant 3)."""
    return bool(_claimable(PY, handoff, actor, now))


def may_release(actor: Actor, handoff: HandoffFacts) -> bool:
    """Whoever claimed it, or an admin or owner, while it is claimed."""
    return (
        may_write(actor)
        and handoff.status == "claimed"
        and (actor.is_manager or handoff.claimed_by_id == actor.user_id)
    )


def may_withdraw(actor: Actor, handoff: HandoffFacts) -> bool:
    """The engineer who escalated it, while nobody has picked it up."""
    return may_write(actor) and handoff.status == "open" and handoff.created_by_id == actor.user_id


def holds(actor: Actor, session: SessionFacts) -> bool:
    """The session's owner or assignee."""
    return actor.user_id in (session.owner_id, session.assignee_id)


def may_hand_off(actor: Actor, session: SessionFacts) -> bool:
    """Escalate or park: the engineer holding an active session."""
    return may_write(actor) and holds(actor, session) and session.status == "active"


def may_resume(actor: Actor, session: SessionFacts) -> bool:
    """Take a parked session back up: whoever holds it."""
    return may_write(actor) and holds(actor, session) and session.status == "parked"


def may_work(actor: Actor, session: SessionFacts) -> bool:
    """Add steps and resolve: engineers their own or assigned sessions; admins and owners anywhere.
    (The state a step or a resolution needs is the sessions domain's.)"""
    return may_write(actor) and (actor.is_manager or holds(actor, session))


def may_add_step(actor: Actor, session: SessionFacts) -> bool:
    """Add a step, or attach a file to one (relaydesk/attachments): whoever may work the session,
    while it is active."""
    return may_work(actor, session) and session.status == "active"


# --- SQL clauses from the same rules -------------------------------------------------------------


# The Handoff columns stand in for a row (SQLAlchemy builds expressions from them); a class is not
# an instance to the HandoffFacts protocol, hence Any.
_COLUMNS: Any = Handoff


def waiting_for_clause(actor: Actor) -> list[Any]:
    """The queue's and the header count's WHERE: the account's escalations `actor` could pick up."""
    return [Handoff.account_id == actor.account_id, _waiting_for(SQL, _COLUMNS, actor)]


def claimable_clause(actor: Actor, now: datetime) -> list[Any]:
    """The claim's conditional UPDATE WHERE."""
    return [Handoff.account_id == actor.account_id, _claimable(SQL, _COLUMNS, actor, now)]
