"""The rules of handoffs, one module per job; this one names them for callers.

escalation.py  escalate, park, resume, withdraw
claims.py      claim (invariant 3), release
reading.py     one handoff, a session's latest escalation, the queue, the header counts
common.py      what they share
policy.py      who may do what in which state
"""

from __future__ import annotations

from relaydesk.handoffs.claims import claim, release
from relaydesk.handoffs.common import TITLE_PROBLEM_CHARS, escalation_title, pickup_link
from relaydesk.handoffs.escalation import create_handoff, resume, withdraw
from relaydesk.handoffs.policy import RELEASE_COOLDOWN, WORKING_ROLES
from relaydesk.handoffs.reading import (
    get_handoff,
    handoff_out,
    header_counts,
    latest_escalation,
    queue,
)

__all__ = [
    "RELEASE_COOLDOWN",
    "TITLE_PROBLEM_CHARS",
    "WORKING_ROLES",
    "claim",
    "create_handoff",
    "escalation_title",
    "get_handoff",
    "handoff_out",
    "header_counts",
    "latest_escalation",
    "pickup_link",
    "queue",
    "release",
    "resume",
    "withdraw",
]
