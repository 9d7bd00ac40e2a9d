"""NOTIFY, the one way this application wakes another process (docs/architecture.md, "Jobs" and
"Live events"). A NOTIFY sent inside a transaction is delivered only when it commits and dropped
when it rolls back, so waking is transactional like the rows it points at. It only wakes: the
rows are the truth, and a listener that missed a notice catches up by reading them.
"""

from __future__ import annotations

from sqlalchemy import text

from relaydesk.db.uow import UnitOfWork

# workers LISTEN here; the payload names the kind of job ("summaries", "deliveries")
JOBS_CHANNEL = "relaydesk_jobs"
# the live listener of every serving process LISTENs here; the payload is "account_id:seq"
EVENTS_CHANNEL = "relaydesk_events"


async def notify(uow: UnitOfWork, channel: str, payload: str) -> None:
    await uow.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})


async def wake_workers(uow: UnitOfWork, kind: str) -> None:
    """Tell workers there is new work of `kind`; delivered at commit, dropped on rollback."""
    await notify(uow, JOBS_CHANNEL, kind)
