"""How an attachment leaves: the headers that keep it inert, and text redacted on the way out.

Images are shown inline (the timeline's thumbnails); everything else is a download. Every response
says `nosniff`, so the browser keeps the type the bytes earned, and carries a policy with no script
and a sandbox (web/headers.py ATTACHMENT_CSP), so even a file opened directly cannot run anything.

Text attachments are redacted (invariant 7) before they are served, like step text before any
output: a log often holds a password or a token. The stored bytes stay as uploaded. The text is
redacted in segments of about SEGMENT characters cut at a blank line or a line break, and never
inside a private-key block, so a 10 MB log is not held whole, and what the redactor matches (one
line, or one key block) is never split between two segments.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator
from urllib.parse import quote

from relaydesk.attachments.schemas import AttachmentOut
from relaydesk.attachments.sniffing import EXTENSIONS, TEXT
from relaydesk.redaction import redact

SEGMENT = 256 * 1024
# A block the redactor must see whole (a private key is under 12,000 characters).
BLOCK_START = "-----BEGIN"
BLOCK_END = "-----END"
BLOCK_MAX = 64 * 1024


def download_name(attachment: AttachmentOut) -> str:
    """The stored name, made to end as its type does: a PNG named setup.exe is saved as
    setup.exe.png, an HTML file as page.html.txt, never as a program or a page."""
    endings = EXTENSIONS.get(attachment.content_type)
    if endings and not attachment.filename.lower().endswith(endings):
        return attachment.filename + endings[0]
    return attachment.filename


def content_disposition(attachment: AttachmentOut) -> str:
    """RFC 6266: an ASCII fallback name and the real one as UTF-8 `filename*`."""
    kind = "inline" if attachment.is_image else "attachment"
    name = download_name(attachment)
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def response_headers(attachment: AttachmentOut) -> dict[str, str]:
    headers = {
        "Content-Disposition": content_disposition(attachment),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
    }
    if attachment.content_type != TEXT:  # redacted text may change length, and with the redactor
        headers["Content-Length"] = str(attachment.size)
        headers["ETag"] = f'"{attachment.sha256}"'
    return headers


def media_type(attachment: AttachmentOut) -> str:
    return "text/plain; charset=utf-8" if attachment.content_type == TEXT else attachment.content_type


def _cut(text: str) -> int:
    """Where to end a segment of `text`: after its last blank line, else its last line break, but
    before a key block that has not ended yet."""
    cut = text.rfind("\n\n") + 2
    if cut < 2:
        cut = text.rfind("\n") + 1
    if cut <= 0:
        cut = len(text)  # one very long line: cut where it stands
    start = text.rfind(BLOCK_START, 0, cut)
    if start >= 0 and text.find(BLOCK_END, start, cut) < 0 and cut - start <= BLOCK_MAX:
        line = text.rfind("\n", 0, start) + 1
        if line > 0:
            cut = line
    return cut


async def redacted(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """UTF-8 text chunks in, the same text redacted out, a segment at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        while len(pending) >= SEGMENT:
            cut = _cut(pending)
            # The redactor is CPU work of tens of ms per segment: off the event loop.
            yield (await asyncio.to_thread(redact, pending[:cut])).encode()
            pending = pending[cut:]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield (await asyncio.to_thread(redact, pending)).encode()
