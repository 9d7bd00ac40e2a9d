"""Every cell of the state machine (`policy.RULES`): state × who the actor is × action, done for real
through the JSON API. Each test builds one session per actor in the state, lets that actor try the
action, and compares what the API did (2xx, or a refusal) with what the table says.

The expectations are written out here by hand (`EXPECTED`), not read from the table, so a changed
rule must be changed in both places."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from relaydesk.db.uow import Database
from relaydesk.handoffs import policy
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session, Step
from relaydesk.sessions.schemas import ResolveIn
from tests.factories import Member, make_account, make_session, make_step, make_user

S, R, A = policy.State, policy.Relation, policy.Action
# escalator, claimer, another engineer, admin/owner, viewer
ESC, CLM, ENG, MGR, VWR = "E", "C", "O", "M", "V"
RELATION_OF = {ESC: R.ESCALATOR, CLM: R.CLAIMER, ENG: R.ENGINEER, MGR: R.MANAGER, VWR: R.VIEWER}

# Who may, per action (rows) and state (columns); "-" is nobody. In active, parked and
# escalated-open nobody has picked it up, so "the claimer" (C) is an engineer with no part in it yet
# (the one who will claim it).
TABLE = """
                  active  parked  escalated-open  claimed  released  resolved
add step          EM      -       E               ECM      E         -
comment           EM      EM      ECOM            ECM      ECOM      ECM
edit own step     E       E       E               EC       EC        -
escalate          E       -       -               C        -         -
park              E       -       -               C        -         -
resume            -       E       -               -        -         -
withdraw          -       -       E               -        E         -
claim             -       -       COM             -        OM        -
release           -       -       -               CM       -         -
resolve           EM      -       -               CM       -         -
reveal a secret   EM      EM      ECOM            ECM      ECOM      ECM
"""


def _expected() -> dict[policy.Action, dict[policy.State, str]]:
    lines = [line for line in TABLE.strip("\n").splitlines() if line.strip()]
    states = [policy.State(name) for name in lines[0].split()]
    table: dict[policy.Action, dict[policy.State, str]] = {}
    for line in lines[1:]:
        (*words,) = line.split()
        cells = words[-len(states) :]
        action = policy.Action(" ".join(words[: -len(states)]))
        table[action] = {state: cell.replace("-", "") for state, cell in zip(states, cells, strict=True)}
    return table


EXPECTED = _expected()


def test_the_table_has_every_cell() -> None:
    assert set(EXPECTED) == set(A)
    assert all(set(row) == set(S) for row in EXPECTED.values())


def test_the_expectations_are_the_table() -> None:
    """The hand-written table and policy.RULES say the same for every cell."""
    before_claim = (S.ACTIVE, S.PARKED, S.ESCALATED)
    for action, state in itertools.product(A, S):
        allowed = set(policy.RULES[action].get(state, frozenset()))
        written = {RELATION_OF[k] for k in EXPECTED[action][state]}
        if state in before_claim:
            # nobody holds the claimer's part yet: the would-be claimer is another engineer
            allowed.discard(R.CLAIMER)
            assert (CLM in EXPECTED[action][state]) == (ENG in EXPECTED[action][state]), (action, state)
            written.discard(R.CLAIMER)
        assert written == allowed, (action, state)


@dataclass
class Team:
    escalator: Member
    claimer: Member
    engineer: Member
    admin: Member
    viewer: Member

    def by_key(self, key: str) -> Member:
        by = {ESC: self.escalator, CLM: self.claimer, ENG: self.engineer, MGR: self.admin, VWR: self.viewer}
        return by[key]


@dataclass
class Built:
    session: Session
    handoff: Handoff
    escalator_step: Step
    claimer_step: Step | None


async def _team(db: Database) -> Team:
    account = await make_account(db)
    # no passwords: these act through API tokens only (hashing is the slow part)
    made = [
        await make_user(db, account, role=role, name=name, password=None)
        for role, name in (
            ("engineer", "Jane Doe"),
            ("engineer", "Sam Lee"),
            ("engineer", "Kim Park"),
            ("admin", "Olga Admin"),
            ("viewer", "Val Viewer"),
        )
    ]
    return Team(*made)


async def _build(db: Database, team: Team, state: policy.State) -> Built:
    jane, sam = team.escalator, team.claimer
    session = await make_session(db, jane)
    step = await make_step(db, jane, session, action="Reset the password to [[secret:Hunter22!]]")
    escalate = HandoffCreate(intent="escalate", reason="Out of ideas")
    async with db.uow(jane.actor.account_id) as uow:
        handoff = await handoffs.create_handoff(uow, jane.actor, session.id, escalate)
    claimer_step = None
    if state in (S.ACTIVE, S.PARKED):
        async with db.uow(jane.actor.account_id) as uow:
            await handoffs.withdraw(uow, jane.actor, handoff.id)
        if state is S.PARKED:
            async with db.uow(jane.actor.account_id) as uow:
                await handoffs.create_handoff(uow, jane.actor, session.id, HandoffCreate(intent="park"))
    if state in (S.CLAIMED, S.RELEASED, S.RESOLVED):
        async with db.uow(sam.actor.account_id) as uow:
            await handoffs.claim(uow, sam.actor, handoff.id)
        claimer_step = await make_step(db, sam, session, action="Checked the mailbox quota")
        async with db.uow(sam.actor.account_id) as uow:
            if state is S.RELEASED:
                await handoffs.release(uow, sam.actor, handoff.id, "Needs Exchange rights")
            elif state is S.RESOLVED:
                await sessions.resolve_session(uow, sam.actor, session.id, ResolveIn(resolution="Fixed"))
    async with db.uow(jane.actor.account_id) as uow:
        fresh = await uow.get(Session, session.id)
        latest = await policy.latest_escalation(uow, session.id)
        assert fresh is not None and latest is not None
        assert policy.state_of(fresh, latest) is state  # the builder made the state it names
    return Built(session=session, handoff=handoff, escalator_step=step, claimer_step=claimer_step)


def _request(action: policy.Action, key: str, built: Built) -> tuple[str, str, dict[str, Any] | None]:
    sid, hid = built.session.id, built.handoff.id
    own = built.claimer_step if key == CLM and built.claimer_step else built.escalator_step
    return {
        A.ADD_STEP: ("POST", f"/api/v1/sessions/{sid}/steps", {"action": "Tried again", "outcome": "failed"}),
        A.COMMENT: ("POST", f"/api/v1/sessions/{sid}/comments", {"body": "The user says it began Tuesday"}),
        A.EDIT_STEP: ("PATCH", f"/api/v1/sessions/{sid}/steps/{own.id}", {"result": "Corrected"}),
        A.ESCALATE: ("POST", f"/api/v1/sessions/{sid}/handoffs", {"intent": "escalate", "reason": "Again"}),
        A.PARK: ("POST", f"/api/v1/sessions/{sid}/handoffs", {"intent": "park"}),
        A.RESUME: ("POST", f"/api/v1/sessions/{sid}/resume", None),
        A.WITHDRAW: ("POST", f"/api/v1/handoffs/{hid}/withdraw", None),
        A.CLAIM: ("POST", f"/api/v1/handoffs/{hid}/claim", None),
        A.RELEASE: ("POST", f"/api/v1/handoffs/{hid}/release", {"reason": "Over to someone else"}),
        A.RESOLVE: ("POST", f"/api/v1/sessions/{sid}/resolve", {"resolution": "Rebuilt the profile"}),
        A.REVEAL: (
            "POST",
            f"/api/v1/sessions/{sid}/steps/{built.escalator_step.id}/reveal",
            {"field": "action", "index": 0},
        ),
    }[action]


@pytest.mark.parametrize(("state", "action"), list(itertools.product(S, A)), ids=str)
async def test_every_cell_through_the_api(
    client: httpx.AsyncClient, db: Database, state: policy.State, action: policy.Action
) -> None:
    team = await _team(db)
    for key in (ESC, CLM, ENG, MGR, VWR):
        built = await _build(db, team, state)  # a session of its own for each actor's try
        member = team.by_key(key)
        method, url, body = _request(action, key, built)
        response = await client.request(method, url, headers=member.headers, json=body)
        expected = key in EXPECTED[action][state]
        cell = f"{state} × {RELATION_OF[key]} × {action}: {response.status_code} {response.text[:200]}"
        if expected:
            assert response.status_code in (200, 201), cell
        else:
            assert response.status_code in (403, 404, 409), cell
            assert response.headers["content-type"].startswith("application/problem+json"), cell
