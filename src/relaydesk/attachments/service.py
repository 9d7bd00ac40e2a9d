"""The rules of attachments: who may attach and read, the size limits, the live event.

Who may attach is who may add a step (handoffs/policy.py `Action.ADD_STEP`); who may read is who may
read the session (sessions/access.py). Neither is written again here.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Protocol

from sqlalchemy import func, select

from relaydesk.accounts.actor import Actor
from relaydesk.attachments.models import Attachment
from relaydesk.attachments.schemas import AttachmentOut, size_text
from relaydesk.attachments.sniffing import BINARY
from relaydesk.attachments.storage import OverLimit, Readable, write_chunks
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import BadInput, Conflict, NotFound, NotPermitted, TooLarge
from relaydesk.handoffs import policy
from relaydesk.live.service import append_event
from relaydesk.sessions import service as sessions
from relaydesk.sessions.access import readers_payload, visible_to
from relaydesk.sessions.models import Session, Step
from relaydesk.settings import Settings

MAX_FILENAME = 200


@dataclass(frozen=True)
class Limits:
    per_file: int
    per_session: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(per_file=settings.attachment_max_bytes, per_session=settings.attachment_session_max_bytes)


class Upload(Readable, Protocol):
    """What the service reads of an upload: a name, the size when the parser counted it, the bytes."""

    filename: str | None
    size: int | None


def clean_filename(raw: str | None) -> str:
    """The name shown and sent back: no folders, no control characters, at most MAX_FILENAME."""
    name = PureWindowsPath((raw or "").replace("/", "\\")).name  # both separators
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().strip(".")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: MAX_FILENAME - len(ext) - 1] + "." + ext)
            if dot and len(ext) <= 10
            else name[:MAX_FILENAME]
        )
    return name or "attachment"


async def _refuse_attach(uow: UnitOfWork, actor: Actor, session: Session) -> None:
    """Why `actor` may not attach to `session`, most specific reason first. Attaching is adding a
    step: the rule is the policy's `Action.ADD_STEP` (sessions.service.can_work)."""
    if await sessions.can_work(uow, actor, session):
        return
    policy.require_worker(actor, "attach files")
    if not (actor.is_manager or policy.holds(actor, session)):
        raise NotPermitted("Only the session's owner or assignee can attach files.")
    hint = {
        "parked": "Resume it first.",
        "escalated": "It is waiting for a senior to pick it up.",
        "resolved": "It is resolved.",
    }.get(session.status, "")
    raise Conflict(f"Files can only be attached while steps can be added. {hint}".strip())


async def session_bytes(uow: UnitOfWork, session_id: uuid.UUID) -> int:
    return int(
        await uow.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.session_id == session_id)
        )
    )


def _too_large_for_file(size: int, limits: Limits, *, over: str = "") -> TooLarge:
    return TooLarge(
        f"This file is {over}{size_text(size)}; the limit is {size_text(limits.per_file)} per file.",
        size=size,
        limit=limits.per_file,
    )


async def attach(
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    step_id: uuid.UUID,
    upload: Upload,
    limits: Limits,
) -> AttachmentOut:
    """Store `upload` on a step. Refused whole (nothing written) when over a limit or not permitted."""
    # The session row locked: two uploads at once cannot both fit under the session's limit.
    session = await sessions.get_session(uow, actor, session_id, for_update=True)
    step = await uow.scalar(select(Step).where(Step.id == step_id, Step.session_id == session.id))
    if step is None:
        raise NotFound("No such step in this session.")
    await _refuse_attach(uow, actor, session)
    if upload.size is not None and upload.size > limits.per_file:
        raise _too_large_for_file(upload.size, limits)
    if upload.size == 0:
        raise BadInput("The file is empty; choose another one.")
    used = await session_bytes(uow, session.id)
    room = limits.per_session - used

    def over_session(size: int, over: str = "") -> TooLarge:
        return TooLarge(
            f"This file is {over}{size_text(size)}; the session already holds {size_text(used)} of "
            f"attachments and the limit is {size_text(limits.per_session)} per session.",
            size=size,
            limit=limits.per_session,
        )

    if upload.size is not None and upload.size > room:
        raise over_session(upload.size)
    attachment = Attachment(
        id=uuid.uuid4(),
        account_id=actor.account_id,
        session_id=session.id,
        step_id=step.id,
        filename=clean_filename(upload.filename),
        content_type=BINARY,  # until the bytes say otherwise, below
        size=0,
        sha256="",
        uploaded_by_id=actor.user_id,
    )
    uow.add(attachment)
    await uow.flush()
    try:
        written = await write_chunks(
            uow, actor.account_id, attachment.id, upload, limit=min(limits.per_file, max(room, 0))
        )
    except OverLimit as cut:  # the parser did not count it; the caller's rollback drops the chunks
        if cut.seen > limits.per_file:
            raise _too_large_for_file(limits.per_file, limits, over="over ") from None
        raise over_session(cut.seen - 1, over="over ") from None
    if written.size == 0:
        raise BadInput("The file is empty; choose another one.")
    attachment.size, attachment.sha256 = written.size, written.sha256
    attachment.content_type = written.content_type
    await uow.flush()
    out = AttachmentOut.model_validate(attachment)
    await append_event(
        uow,
        account_id=actor.account_id,
        type="attachment.added",
        actor_id=actor.user_id,
        session_id=session.id,
        payload={
            "attachment_id": out.id,
            "step_id": out.step_id,
            "filename": out.filename,
            "content_type": out.content_type,
            "size": out.size,
            **readers_payload(session),  # who may read the session now (live/audience.py)
        },
    )
    return out


async def get_attachment(uow: UnitOfWork, actor: Actor, attachment_id: uuid.UUID) -> AttachmentOut:
    """One attachment, if `actor` may read its session; 404 otherwise (never confirming it exists)."""
    found = await uow.scalar(
        select(Attachment)
        .join(Session, Session.id == Attachment.session_id)
        .where(Attachment.id == attachment_id, visible_to(actor))
    )
    if found is None:
        raise NotFound("No such attachment, or it is not visible to you.")
    return AttachmentOut.model_validate(found)


async def by_step(uow: UnitOfWork, session_id: uuid.UUID) -> dict[uuid.UUID, list[AttachmentOut]]:
    """A session's attachments by step, oldest first. The caller has checked the session's read rule."""
    rows = await uow.rows(
        select(Attachment)
        .where(Attachment.session_id == session_id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    grouped: dict[uuid.UUID, list[AttachmentOut]] = defaultdict(list)
    for (row,) in rows:
        grouped[row.step_id].append(AttachmentOut.model_validate(row))
    return dict(grouped)
