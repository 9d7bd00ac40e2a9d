"""The bytes of an attachment: written chunk by chunk from an upload, read back chunk by chunk.

A download reads each chunk in a short transaction of its own: a client reading slowly must not
hold a database transaction, and its pooled connection, open for the whole file
(docs/architecture.md, "Requests"). Attachments are never changed once written, so reading
piece by piece cannot mix two versions.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import insert, select

from relaydesk.attachments.models import CHUNK_BYTES, AttachmentChunk
from relaydesk.attachments.sniffing import Sniffer
from relaydesk.db.uow import Database, UnitOfWork


class Readable(Protocol):
    """An upload being read: Starlette's UploadFile (its spooled temporary file) is one."""

    async def read(self, size: int = -1) -> bytes: ...


class OverLimit(Exception):
    """The upload turned out longer than `limit` while it was being written."""

    def __init__(self, seen: int) -> None:
        super().__init__(seen)
        self.seen = seen


@dataclass(frozen=True)
class Written:
    size: int
    sha256: str
    content_type: str


async def write_chunks(
    uow: UnitOfWork, account_id: uuid.UUID, attachment_id: uuid.UUID, upload: Readable, *, limit: int
) -> Written:
    """Copy `upload` into chunk rows, sniffing and hashing as it goes; OverLimit past `limit` bytes
    (the caller's transaction then rolls the chunks back). One chunk in memory at a time."""
    sniffer, digest, size, n = Sniffer(), hashlib.sha256(), 0, 0
    while chunk := await upload.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise OverLimit(size)
        sniffer.feed(chunk)
        digest.update(chunk)
        await uow.execute(
            insert(AttachmentChunk).values(
                account_id=account_id, attachment_id=attachment_id, n=n, data=chunk
            )
        )
        n += 1
    return Written(size=size, sha256=digest.hexdigest(), content_type=sniffer.content_type)


async def read_chunks(db: Database, account_id: uuid.UUID, attachment_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The attachment's bytes in order, one short transaction per chunk."""
    n = 0
    while True:
        async with db.uow(account_id) as uow:
            data = await uow.scalar(
                select(AttachmentChunk.data).where(
                    AttachmentChunk.attachment_id == attachment_id, AttachmentChunk.n == n
                )
            )
        if data is None:
            return
        yield bytes(data)
        n += 1
