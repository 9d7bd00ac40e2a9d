"""Every (state × role × relation) cell of the handoff policy, against the rules as they were
written before there was one policy (the claim WHERE, `_may_read`, `_refuse_claim`, the page's
`may_claim`, withdraw and release checks), so the move to handoffs/policy.py changed no answer."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from relaydesk.accounts.actor import Actor
from relaydesk.errors import NotPermitted
from relaydesk.handoffs import policy

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ME = uuid.uuid4()
OTHER, THIRD = uuid.uuid4(), uuid.uuid4()

# (intent, status) a handoff can be in
STATES = [
    ("escalate", "open"),
    ("escalate", "claimed"),
    ("escalate", "withdrawn"),
    ("escalate", "closed"),
    ("park", "parked"),
    ("park", "resumed"),
]
ROLES = ["viewer", "engineer", "admin", "owner"]
RELATIONS = [
    "escalator",
    "claimer",
    "target",
    "teammate",  # an escalation to the team
    "not-the-target",  # an escalation to someone else
    "released-just-now",
    "released-long-ago",
]


@dataclass
class Facts:
    intent: str
    status: str
    created_by_id: uuid.UUID
    claimed_by_id: uuid.UUID | None = None
    target_user_id: uuid.UUID | None = None
    released_by_id: uuid.UUID | None = None
    released_at: datetime | None = None


def _handoff(intent: str, status: str, relation: str) -> Facts:
    h = Facts(intent=intent, status=status, created_by_id=ME if relation == "escalator" else OTHER)
    if status == "claimed":
        h.claimed_by_id = ME if relation == "claimer" else THIRD
    if relation == "target":
        h.target_user_id = ME
    elif relation == "not-the-target":
        h.target_user_id = THIRD
    elif relation.startswith("released"):
        h.released_by_id = ME
        h.released_at = NOW - (
            timedelta(minutes=2) if relation == "released-just-now" else timedelta(hours=1)
        )
    return h


def _actor(role: str) -> Actor:
    return Actor(user_id=ME, account_id=uuid.uuid4(), role=role, name="Me", email="me@example.com")


CELLS = list(itertools.product(STATES, ROLES, RELATIONS))


# --- the rules as they were written before, one copy each ----------------------------------------


def old_may_read(actor: Actor, h: Facts) -> bool:
    # changed on purpose since: viewers read every handoff of the account (issue 17, "viewers view")
    if actor.role == "viewer":
        return True
    if actor.is_manager or actor.user_id in (h.created_by_id, h.claimed_by_id):
        return True
    if h.intent == "park":
        return False
    return h.status == "open" and actor.at_least("engineer") and (h.target_user_id in (None, actor.user_id))


def old_may_claim(actor: Actor, h: Facts) -> bool:
    # the claim's WHERE, with the viewer check before it
    if not actor.at_least("engineer"):
        return False
    return (
        h.intent == "escalate"
        and h.status == "open"
        and h.created_by_id != actor.user_id
        and (actor.is_manager or h.target_user_id in (None, actor.user_id))
        and (
            h.released_by_id is None
            or h.released_by_id != actor.user_id
            or (h.released_at is not None and h.released_at < NOW - policy.RELEASE_COOLDOWN)
        )
    )


def old_waiting_for(actor: Actor, h: Facts) -> bool:
    return (
        h.intent == "escalate"
        and h.created_by_id != actor.user_id
        and (actor.is_manager or actor.role == "viewer" or h.target_user_id in (None, actor.user_id))
    )


def old_may_withdraw(actor: Actor, h: Facts) -> bool:
    if actor.role == "viewer":
        return False
    return h.created_by_id == actor.user_id and h.status == "open"


@pytest.mark.parametrize(("state", "role", "relation"), CELLS)
def test_every_cell_answers_as_before(state: tuple[str, str], role: str, relation: str) -> None:
    actor, h = _actor(role), _handoff(*state, relation)
    assert policy.may_read(actor, h) == old_may_read(actor, h)
    assert policy.may_claim(actor, h, NOW) == old_may_claim(actor, h)
    assert bool(policy._waiting_for(policy.PY, h, actor)) == old_waiting_for(actor, h)
    assert policy.may_withdraw(actor, h) == old_may_withdraw(actor, h)


def test_the_table_says_what_the_invariants_say() -> None:
    # a few cells spelled out, so the table can be read without the old code (invariant 3)
    open_ = ("escalate", "open")
    assert policy.may_claim(_actor("engineer"), _handoff(*open_, "teammate"), NOW)
    assert not policy.may_claim(_actor("engineer"), _handoff(*open_, "escalator"), NOW)
    assert not policy.may_claim(_actor("viewer"), _handoff(*open_, "teammate"), NOW)
    assert not policy.may_claim(_actor("engineer"), _handoff(*open_, "not-the-target"), NOW)
    assert policy.may_claim(_actor("admin"), _handoff(*open_, "not-the-target"), NOW)
    assert not policy.may_claim(_actor("engineer"), _handoff(*open_, "released-just-now"), NOW)
    assert policy.may_claim(_actor("engineer"), _handoff(*open_, "released-long-ago"), NOW)
    assert not policy.may_read(_actor("engineer"), _handoff("park", "parked", "teammate"))
    assert policy.may_read(_actor("engineer"), _handoff("park", "parked", "escalator"))
    assert not policy.may_read(_actor("engineer"), _handoff("escalate", "claimed", "teammate"))


@pytest.mark.parametrize("role", ROLES)
def test_viewers_read_everything_and_write_nothing(role: str) -> None:
    actor = _actor(role)
    assert policy.reads_account(actor) == (role != "engineer")
    assert policy.may_write(actor) == (role != "viewer")
    if role == "viewer":
        with pytest.raises(NotPermitted, match="A viewer can read escalations and sessions but cannot claim"):
            policy.require_worker(actor, "claim")
    else:
        policy.require_worker(actor, "claim")


# The session-level rules (add step, park, resume, resolve, comment, edit, reveal) are the state
# machine table `policy.RULES`, walked cell by cell through the API in test_policy_table.py.
