"""Who may read a session: the rule, written once (invariant 10).

A leaf module (the table, the actor and the handoff policy's `reads_account`), so domains below
sessions — deliveries, which sessions itself imports — can apply the same rule without importing
the sessions service.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from relaydesk.accounts.actor import Actor
from relaydesk.handoffs.policy import reads_account
from relaydesk.sessions.models import Session


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """Who may read a session: owner, assignee, admins, owners and viewers (handoffs/policy.py
    `reads_account`), and, while it waits in the escalation queue, any engineer of the account (the
    pickup screen needs it before the claim)."""
    rule = and_(Session.account_id == actor.account_id)
    if reads_account(actor):
        return rule
    mine = or_(
        Session.owner_id == actor.user_id, Session.assignee_id == actor.user_id, Session.status == "escalated"
    )
    return and_(rule, mine)


def readers_payload(session: Session) -> dict[str, Any]:
    """The same rule as an event's audience (live/audience.py reads it): the session's owner and
    assignee, admins and owners, and every engineer while it waits in the queue."""
    return {
        "readers": [str(u) for u in (session.owner_id, session.assignee_id) if u],
        "in_queue": session.status == "escalated",
    }
