"""Who may do what to a handoff, and to the session it hands off, in which state (invariant 10).

Each rule is written once. The rules a query needs (read, claim, the queue) are written over an
`Ops` — the same definition evaluated on a loaded row with Python values (`PY`) or turned into a
SQL clause over the `Handoff` columns (`SQL`) — so the claim's conditional UPDATE, the queue and
the pages' buttons cannot drift apart. The others are plain predicates. The services still say
*why* a refusal happened (most specific reason first); whether it happens is decided here.

The state machine of a session being worked together is the table `RULES` below: every state
(`State`) × who the actor is to the session (`Relation`) × action (`Action`), read by `allows`.
tests/handoffs/test_policy.py walks every (state × role × relation) cell of the older predicates;
tests/handoffs/test_policy_table.py walks every cell of `RULES` through the JSON API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, false, or_, select, true

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
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


def may_withdraw(actor: Actor, handoff: HandoffFacts) -> bool:
    """The engineer who escalated it, while nobody has picked it up."""
    return may_write(actor) and handoff.status == "open" and handoff.created_by_id == actor.user_id


def holds(actor: Actor, session: SessionFacts) -> bool:
    """The session's owner or assignee."""
    return actor.user_id in (session.owner_id, session.assignee_id)


def may_hand_off(actor: Actor, session: SessionFacts, handoff: HandoffFacts | None) -> bool:
    """Escalate or park (the same cells, `RULES`)."""
    return allows(actor, Action.PARK, session, handoff)


def may_resume(actor: Actor, session: SessionFacts, handoff: HandoffFacts | None) -> bool:
    return allows(actor, Action.RESUME, session, handoff)


def may_work(actor: Actor, session: SessionFacts, handoff: HandoffFacts | None) -> bool:
    """Add steps (the step form on the workspace)."""
    return allows(actor, Action.ADD_STEP, session, handoff)


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


# --- the state machine of working a session together (issue 15) ---------------------------------


class State(StrEnum):
    ACTIVE = "active"  # being worked by whoever holds it; never escalated, or escalated and withdrawn
    PARKED = "parked"
    ESCALATED = "escalated-open"  # waiting in the queue, nobody has picked it up yet
    CLAIMED = "claimed"  # a teammate picked it up: it is theirs now
    RELEASED = "released"  # picked up, then given back to the queue
    RESOLVED = "resolved"


class Relation(StrEnum):
    ESCALATOR = "escalator"  # the session's owner, who escalated it (or would)
    CLAIMER = "claimer"  # who picked it up (after a release: who released it)
    ENGINEER = "another engineer"
    MANAGER = "admin/owner"
    VIEWER = "viewer"


class Action(StrEnum):
    ADD_STEP = "add step"
    COMMENT = "comment"
    EDIT_STEP = "edit own step"
    ESCALATE = "escalate"
    PARK = "park"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    CLAIM = "claim"
    RELEASE = "release"
    RESOLVE = "resolve"
    REVEAL = "reveal a secret"


S, R, A = State, Relation, Action
_E, _C, _O, _M = R.ESCALATOR, R.CLAIMER, R.ENGINEER, R.MANAGER
# Who may read the session in each state (sessions/access.py says the same in SQL): its holders
# and admins; while it waits in the queue, every engineer. Viewers read the queue, not sessions.
_READERS: dict[State, frozenset[Relation]] = {
    S.ACTIVE: frozenset({_E, _M}),
    S.PARKED: frozenset({_E, _M}),
    S.ESCALATED: frozenset({_E, _C, _O, _M}),
    S.CLAIMED: frozenset({_E, _C, _M}),
    S.RELEASED: frozenset({_E, _C, _O, _M}),
    S.RESOLVED: frozenset({_E, _C, _M}),
}
_NOBODY: frozenset[Relation] = frozenset()

# RULES[action][state]: the relations allowed. A cell not written is nobody. Once claimed the
# session is the claimer's: the escalator may comment and add findings, not park, withdraw or
# resolve it; an admin may reassign it (release, then claim); a viewer only reads.
RULES: dict[Action, dict[State, frozenset[Relation]]] = {
    A.ADD_STEP: {
        S.ACTIVE: frozenset({_E, _M}),
        S.ESCALATED: frozenset({_E}),  # findings while waiting
        S.CLAIMED: frozenset({_E, _C, _M}),
        S.RELEASED: frozenset({_E}),
    },
    A.COMMENT: {state: readers for state, readers in _READERS.items()},
    # of one's own steps, until it is resolved; the author and the time window
    # (RELAYDESK_STEP_EDIT_MINUTES) are the sessions service's to check on the step
    A.EDIT_STEP: {
        S.ACTIVE: frozenset({_E}),
        S.PARKED: frozenset({_E}),
        S.ESCALATED: frozenset({_E}),
        S.CLAIMED: frozenset({_E, _C}),
        S.RELEASED: frozenset({_E, _C}),
    },
    # handing off is for whoever holds it now: after a claim, the claimer
    A.ESCALATE: {S.ACTIVE: frozenset({_E}), S.CLAIMED: frozenset({_C})},
    A.PARK: {S.ACTIVE: frozenset({_E}), S.CLAIMED: frozenset({_C})},
    # a claimer may park what they picked up, and resume it (resuming gives it back to them)
    A.RESUME: {S.PARKED: frozenset({_E, _C})},
    A.WITHDRAW: {S.ESCALATED: frozenset({_E}), S.RELEASED: frozenset({_E})},
    # the release cooldown keeps the releaser out for a while (RELEASE_COOLDOWN)
    A.CLAIM: {S.ESCALATED: frozenset({_C, _O, _M}), S.RELEASED: frozenset({_O, _M})},
    A.RELEASE: {S.CLAIMED: frozenset({_C, _M})},
    A.RESOLVE: {S.ACTIVE: frozenset({_E, _M}), S.CLAIMED: frozenset({_C, _M})},
    A.REVEAL: dict(_READERS),
}


def state_of(session: SessionFacts, handoff: HandoffFacts | None) -> State:
    """The session's state, from its status and its latest escalation."""
    if session.status == "resolved":
        return S.RESOLVED
    if session.status == "parked":
        return S.PARKED
    if session.status == "escalated":
        released = handoff is not None and bool(getattr(handoff, "release_count", 0))
        return S.RELEASED if released else S.ESCALATED
    if handoff is not None and handoff.status == "claimed":
        return S.CLAIMED
    return S.ACTIVE


def relations_of(actor: Actor, session: SessionFacts, handoff: HandoffFacts | None) -> frozenset[Relation]:
    """Who `actor` is to the session; an admin who escalated is both escalator and admin."""
    if not actor.at_least("engineer"):
        return frozenset({R.VIEWER})
    found: set[Relation] = set()
    if session.owner_id == actor.user_id:
        found.add(R.ESCALATOR)
    claimer = None
    if handoff is not None:
        claimer = handoff.claimed_by_id if handoff.status == "claimed" else handoff.released_by_id
    if actor.user_id in (claimer, session.assignee_id) and R.ESCALATOR not in found:
        found.add(R.CLAIMER)
    if actor.is_manager:
        found.add(R.MANAGER)
    return frozenset(found or {R.ENGINEER})


def allows(actor: Actor, action: Action, session: SessionFacts, handoff: HandoffFacts | None) -> bool:
    """The one answer to "may `actor` do `action` to this session now?" (invariant 10)."""
    allowed = RULES[action].get(state_of(session, handoff), _NOBODY)
    return bool(allowed & relations_of(actor, session, handoff))


def allowed_actions(actor: Actor, session: SessionFacts, handoff: HandoffFacts | None) -> frozenset[Action]:
    """Every action the policy allows `actor` now: what the pages show."""
    return frozenset(a for a in Action if allows(actor, a, session, handoff))


async def latest_escalation(uow: UnitOfWork, session_id: Any) -> Handoff | None:
    """The session's most recent escalation, the handoff `state_of` reads."""
    return await uow.scalar(
        select(Handoff)
        .where(Handoff.session_id == session_id, Handoff.intent == "escalate")
        .order_by(Handoff.created_at.desc())
        .limit(1)
    )
