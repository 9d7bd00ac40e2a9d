"""What a file is, decided by its bytes: the name and the browser's claim are never believed.

Four image formats by their magic numbers; text when every byte is valid UTF-8 and none is NUL;
anything else is opaque bytes. HTML, SVG and scripts are text here, so they are served as
text/plain downloads and never rendered. Fed chunk by chunk, so a 10 MB upload is never held whole.
"""

from __future__ import annotations

import codecs

PNG, JPEG, WEBP, GIF = "image/png", "image/jpeg", "image/webp", "image/gif"
TEXT, BINARY = "text/plain", "application/octet-stream"
IMAGES = frozenset({PNG, JPEG, WEBP, GIF})
# The file name endings of each image type: a download's name is made to end in one (serving.py).
EXTENSIONS = {
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    WEBP: (".webp",),
    GIF: (".gif",),
    # text keeps the endings that open as plain text; an .html, .svg or .ps1 is saved as .txt too
    TEXT: (".txt", ".log", ".csv", ".md", ".conf", ".cfg", ".ini", ".json", ".yaml", ".yml"),
}
# Enough of the start to see any of the signatures below.
HEAD_BYTES = 16


def image_type(head: bytes) -> str | None:
    """The image format whose signature `head` (a file's first bytes) starts with, if any."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


class Sniffer:
    """Feed a file's bytes in order, then ask `content_type`."""

    def __init__(self) -> None:
        self._head = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._text = True

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self._text:
            if b"\x00" in chunk:
                self._text = False
                return
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._text = False

    @property
    def content_type(self) -> str:
        found = image_type(self._head)
        if found is not None:
            return found
        if self._text:
            try:
                self._decoder.decode(b"", final=True)  # a sequence cut off at the end is not text
            except UnicodeDecodeError:
                return BINARY
            return TEXT
        return BINARY


def sniff(data: bytes) -> str:
    """The content type of a whole value (tests, small files)."""
    sniffer = Sniffer()
    sniffer.feed(data)
    return sniffer.content_type
