"""Keyword-only factories that build rows through the services, committing for real."""

from __future__ import annotations

import io
import itertools
import uuid
from dataclasses import dataclass

import httpx
from starlette.datastructures import UploadFile

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.accounts.models import Account, User
from relaydesk.attachments import service as attachments
from relaydesk.attachments.schemas import AttachmentOut
from relaydesk.db.uow import Database
from relaydesk.handoffs import service as handoffs
from relaydesk.handoffs.models import Handoff
from relaydesk.handoffs.schemas import HandoffCreate
from relaydesk.sessions import service as sessions
from relaydesk.sessions.models import Session, Step
from relaydesk.sessions.schemas import SessionCreate, StepCreate

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


@dataclass
class Member:
    """A user with the means to act as them: the actor, and a Bearer token for the API."""

    user: User
    actor: Actor
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(db: Database, *, name: str | None = None) -> Account:
    async with db.uow() as uow:
        return await accounts.create_account(uow, name or f"Account {next(_counter)}")


async def make_user(
    db: Database,
    account: Account,
    *,
    role: str = "engineer",
    name: str | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
) -> Member:
    n = next(_counter)
    async with db.uow(account.id) as uow:
        user = await accounts.add_user(
            uow,
            account.id,
            email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
            name=name or f"User {n}",
            role=role,
            password=password,
        )
        token, _ = await accounts.issue_api_token(uow, user, label="tests")
    return Member(user=user, actor=accounts.actor_for(user, via="token"), token=token)


async def make_session(
    db: Database,
    member: Member,
    *,
    problem: str = "Outlook is failing to sync email",
    client: str | None = "Acme",
    ticket: str | None = "12345",
    priority: str = "normal",
    category: str | None = "Email",
) -> Session:
    async with db.uow(member.actor.account_id) as uow:
        return await sessions.create_session(
            uow,
            member.actor,
            SessionCreate(
                problem_summary=problem,
                client_name=client,
                ticket_id=ticket,
                priority=priority,
                category=category,
            ),
        )


async def make_step(
    db: Database,
    member: Member,
    session: Session,
    *,
    action: str = "Restarted Outlook",
    result: str | None = "Same error",
    outcome: str = "failed",
) -> Step:
    async with db.uow(member.actor.account_id) as uow:
        return await sessions.add_step(
            uow, member.actor, session.id, StepCreate(action=action, result=result, outcome=outcome)
        )


async def escalate(
    db: Database,
    member: Member,
    session: Session,
    *,
    reason: str = "Stuck after a profile rebuild",
    notes: str | None = None,
    target: uuid.UUID | None = None,
) -> Handoff:
    async with db.uow(member.actor.account_id) as uow:
        return await handoffs.create_handoff(
            uow,
            member.actor,
            session.id,
            HandoffCreate(intent="escalate", reason=reason, notes=notes, target_user_id=target),
        )


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the real form (CSRF cookie included); the client keeps the session cookie."""
    page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/sessions"}
    )


async def make_attachment(
    db: Database,
    member: Member,
    session: Session,
    step: Step,
    *,
    data: bytes = b"Event 1000: Outlook.exe faulted\n",
    filename: str = "outlook.log",
    per_file: int = 10 * 1024 * 1024,
    per_session: int = 50 * 1024 * 1024,
) -> AttachmentOut:
    """A file on a step, through the service (the upload's bytes as Starlette's parser hands them over)."""
    upload = UploadFile(io.BytesIO(data), filename=filename, size=len(data))
    async with db.uow(member.actor.account_id) as uow:
        return await attachments.attach(
            uow, member.actor, session.id, step.id, upload, attachments.Limits(per_file, per_session)
        )
