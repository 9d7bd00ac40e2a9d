"""The email a teammate gets when a comment mentions them (when their email notifications are on)."""

from __future__ import annotations

import uuid

from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries.email_switch import email_on
from relaydesk.deliveries.service import WORKING_ROLES, Outgoing, email_recipients, enqueue
from relaydesk.redaction import redact


async def enqueue_mention(
    uow: UnitOfWork,
    *,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    comment_id: uuid.UUID,
    author: str,
    problem: str,
    body: str,
    link: str,
    user_ids: list[uuid.UUID],
) -> None:
    """One email per mentioned user whose `email_notifications` is on, in the comment's transaction
    (invariant 8). The body is redacted here and again when the message is made (invariant 7). There
    is no per-event email switch for mentions: the user's own email setting decides."""
    if not user_ids or not email_on():
        return
    content = {
        "kind": "mention",
        "title": f"{author} mentioned you: {' '.join(problem.split())[:70]}",
        "problem": redact(problem),
        "escalator": author,
        "comment": redact(body),
        "link": link,
        "session_id": str(session_id),
    }
    recipients = await email_recipients(uow, account_id, ids=user_ids, roles=WORKING_ROLES)
    await enqueue(
        uow,
        account_id,
        [
            Outgoing(
                channel="email",
                event="mention",
                target=user.email,
                key=f"mention:{comment_id}:email:{user.id}",
                payload={**content, "to_name": user.name},
                recipient_user_id=user.id,
                session_id=session_id,
            )
            for user in recipients
        ],
    )
