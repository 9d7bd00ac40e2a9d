"""The workspace shows exactly the actions the policy allows (invariant 10), in every state, to
everyone who can open it: the header's buttons, the step form, the resolve panel, the comment form."""

from __future__ import annotations

import pytest

from relaydesk.db.uow import Database
from relaydesk.handoffs import policy
from relaydesk.sessions.models import Session
from tests.factories import make_account, make_user
from tests.handoffs.conftest import SignIn
from tests.handoffs.test_policy_table import Team, _build

S, A = policy.State, policy.Action

# what on the page stands for each action (the edit control needs a step of one's own)
MARKS = {
    A.ADD_STEP: 'id="add-step"',
    A.COMMENT: 'id="comment-form"',
    A.ESCALATE: 'data-open-details="escalate"',
    A.PARK: '/park"',
    A.RESUME: '/resume"',
    A.WITHDRAW: '/withdraw"',
    A.RELEASE: '/release"',
    A.RESOLVE: 'id="resolve"',
}


@pytest.mark.parametrize("state", list(S), ids=str)
async def test_the_workspace_shows_what_the_policy_allows(
    db: Database, sign_in: SignIn, state: policy.State
) -> None:
    account = await make_account(db)
    team = Team(
        *[
            await make_user(db, account, role=role, name=name)
            for role, name in (
                ("engineer", "Jane Doe"),
                ("engineer", "Sam Lee"),
                ("engineer", "Kim Park"),
                ("admin", "Olga Admin"),
                ("viewer", "Val Viewer"),
            )
        ]
    )
    built = await _build(db, team, state)
    for member in (team.escalator, team.claimer, team.engineer, team.admin):
        signed = await sign_in(member)
        page = await signed.get(f"/sessions/{built.session.id}")
        async with db.uow(account.id) as uow:
            session = await uow.get(Session, built.session.id)
            assert session is not None
            allowed = policy.allowed_actions(
                member.actor, session, await policy.latest_escalation(uow, session.id)
            )
        if page.status_code == 404:
            assert not allowed & {A.COMMENT, A.ADD_STEP, A.RESOLVE}, (state, member.user.name)
            continue
        assert page.status_code == 200
        for action, mark in MARKS.items():
            shown = mark in page.text
            assert shown == (action in allowed), f"{state} · {member.user.name} · {action}: shown={shown}"
