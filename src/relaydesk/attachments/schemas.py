"""What the attachment routes answer."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from relaydesk.attachments.sniffing import IMAGES


def size_text(size: int) -> str:
    """1.5 MB, 820 kB, 1.5 kB, 12 bytes: sizes as people read them (MB = 1024 × 1024 bytes, as the limits)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 10 * 1024:
        return f"{size / 1024:.0f} kB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " kB"
    return f"{size} byte" + ("" if size == 1 else "s")


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: uuid.UUID
    step_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by_id: uuid.UUID
    created_at: datetime

    @property
    def url(self) -> str:
        return f"/api/v1/attachments/{self.id}"

    @property
    def size_label(self) -> str:
        return size_text(self.size)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGES
