"""The conversation on a session: comments by whoever may read it, `@name` mentions, the keyset list."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from sqlalchemy import select, tuple_

from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import User
from relaydesk.db.uow import UnitOfWork
from relaydesk.deliveries.mentions import enqueue_mention
from relaydesk.errors import BadInput, NotFound, NotPermitted
from relaydesk.handoffs import policy
from relaydesk.live.service import append_event
from relaydesk.notifications import service as notifications
from relaydesk.sessions.access import readers_payload, visible_to
from relaydesk.sessions.mentions import Person, mentioned
from relaydesk.sessions.models import Session, SessionComment, Step
from relaydesk.sessions.schemas import Author, CommentCreate, CommentOut, CommentPage

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


async def _session(uow: UnitOfWork, actor: Actor, session_id: uuid.UUID) -> Session:
    session = await uow.scalar(select(Session).where(Session.id == session_id, visible_to(actor)))
    if session is None:
        raise NotFound("No such session, or it is not visible to you.")
    return session


def session_link(session: Session) -> str:
    """Where a comment's reader goes: the pickup screen while it waits, the workspace otherwise."""
    suffix = "/pickup" if session.status == "escalated" else ""
    return f"/sessions/{session.id}{suffix}#comments"


async def _readers_among(uow: UnitOfWork, session: Session, people: list[Person]) -> list[Person]:
    """Those of `people` who may read the session (the rule of sessions/access.py)."""
    if not people:
        return []
    rows = await uow.rows(select(User.id, User.role).where(User.id.in_([p.id for p in people])))
    role = dict(rows)
    holders = {session.owner_id, session.assignee_id}
    return [
        p
        for p in people
        if p.id in holders
        or role.get(p.id) in ("admin", "owner")
        or (session.status == "escalated" and role.get(p.id) == "engineer")
    ]


async def add_comment(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, comment_in: CommentCreate
) -> CommentOut:
    """A remark on the session, live to everyone who may read it, with a bell item (and an email when
    they have email on) for each teammate it mentions."""
    session = await _session(uow, actor, session_id)
    handoff = await policy.latest_escalation(uow, session.id)
    if not policy.allows(actor, policy.Action.COMMENT, session, handoff):
        policy.require_worker(actor, "comment on sessions")
        raise NotPermitted("You cannot comment on this session.")
    if comment_in.step_id is not None:
        step = await uow.scalar(
            select(Step.id).where(Step.id == comment_in.step_id, Step.session_id == session.id)
        )
        if step is None:
            raise BadInput("That step is not one of this session's; reply to a step shown on the page.")
    comment = SessionComment(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        session_id=session.id,
        author_id=actor.user_id,
        body=comment_in.body,
        step_id=comment_in.step_id,
    )
    uow.add(comment)
    await uow.flush()
    await uow.refresh(comment)

    team = [
        Person(id=u.id, name=u.name)
        for u in await uow.all(
            select(User).where(User.account_id == actor.account_id, User.deleted_at.is_(None))
        )
    ]
    told = [
        p for p in await _readers_among(uow, session, mentioned(comment.body, team)) if p.id != actor.user_id
    ]
    # the body stays out of the event: pages fetch the comment, rendered (and masked) by the server
    await append_event(
        uow,
        account_id=actor.account_id,
        type="comment.created",
        actor_id=actor.user_id,
        session_id=session.id,
        handoff_id=handoff.id if handoff else None,
        payload={"comment_id": comment.id, "author": actor.name, "step_id": comment.step_id}
        | readers_payload(session),
    )
    if told:
        link = session_link(session)
        problem = " ".join(session.problem_summary.split())
        await notifications.notify(
            uow,
            account_id=actor.account_id,
            user_ids=[p.id for p in told],
            kind="mention",
            actor_id=actor.user_id,
            session_id=session.id,
            link=link,
            title=f"{actor.name} mentioned you: {problem[:70]}",
        )
        await enqueue_mention(
            uow,
            account_id=actor.account_id,
            session_id=session.id,
            comment_id=comment.id,
            author=actor.name,
            problem=session.problem_summary,
            body=comment.body,
            link=link,
            user_ids=[p.id for p in told],
        )
    return CommentOut(
        id=comment.id,
        session_id=session.id,
        author=Author(id=actor.user_id, name=actor.name),
        body=comment.body,
        step_id=comment.step_id,
        created_at=comment.created_at,
        mentioned=[Author(id=p.id, name=p.name) for p in told],
    )


def _cursor(created_at: datetime, comment_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{comment_id}".encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, cid = raw.partition("|")
        return datetime.fromisoformat(at), uuid.UUID(cid)
    except ValueError as exc:
        raise BadInput("That cursor is not one this list gave out; start again without it.") from exc


async def list_comments(
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> CommentPage:
    """Oldest first, keyset by (created_at, id): `next_cursor` continues after the last one."""
    session = await _session(uow, actor, session_id)
    query = (
        select(SessionComment, User.name)
        .join(User, User.id == SessionComment.author_id)
        .where(SessionComment.session_id == session.id)
    )
    if cursor:
        query = query.where(tuple_(SessionComment.created_at, SessionComment.id) > tuple_(*_after(cursor)))
    rows = list(await uow.rows(query.order_by(SessionComment.created_at, SessionComment.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        CommentOut(
            id=c.id,
            session_id=c.session_id,
            author=Author(id=c.author_id, name=name),
            body=c.body,
            step_id=c.step_id,
            created_at=c.created_at,
        )
        for c, name in rows
    ]
    last = rows[-1][0] if rows else None
    return CommentPage(items=items, next_cursor=_cursor(last.created_at, last.id) if more and last else None)
