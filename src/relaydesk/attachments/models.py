"""Tables of attachments: one row per file, its bytes in fixed-size chunks beside it.

The bytes live in PostgreSQL (one backup, one RLS policy), cut into CHUNK_BYTES pieces so an upload
is written and a download read one piece at a time: no 10 MB value is built in memory, and a
download holds no transaction while the client reads (storage.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from relaydesk.db.base import Base, IdMixin, TenantMixin, TimestampMixin

CHUNK_BYTES = 256 * 1024
CONTENT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "text/plain",
    "application/octet-stream",
)


class Attachment(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "step_attachments"
    __table_args__ = (
        CheckConstraint(f"content_type IN {CONTENT_TYPES}", name="content_type"),
        CheckConstraint("size >= 0", name="size"),
        Index("ix_step_attachments_session", "session_id", "account_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Decided by the bytes (sniffing.py), never by the name or the browser's claim.
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class AttachmentChunk(TenantMixin, Base):
    """Piece `n` (from 0) of an attachment's bytes."""

    __tablename__ = "attachment_chunks"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("step_attachments.id", ondelete="CASCADE"), primary_key=True
    )
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
