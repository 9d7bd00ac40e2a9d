"""Small real files for the attachment tests: a valid PNG made here, and friends."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import UTC, datetime

from relaydesk.attachments.schemas import AttachmentOut


def png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (31, 95, 191)) -> bytes:
    """A valid, solid-colour PNG (browsers decode it; the thumbnail test checks it rendered)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 16
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


def attachment_out(filename: str, content_type: str, size: int = 10) -> AttachmentOut:
    return AttachmentOut(
        id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        step_id=uuid.uuid4(),
        filename=filename,
        content_type=content_type,
        size=size,
        sha256="0" * 64,
        uploaded_by_id=uuid.uuid4(),
        created_at=datetime.now(UTC),
    )
