"""Corpus lines mark each secret with «…»: split a line into its text and its secrets."""

from __future__ import annotations

import re

_MARK_RE = re.compile(r"«([^»]*)»")


def parse(line: str) -> tuple[str, list[str], str]:
    """The plain text, the marked secrets, and the text before the first secret (must stay)."""
    secrets = _MARK_RE.findall(line)
    prefix = line.split("«", 1)[0]
    return _MARK_RE.sub(r"\1", line), secrets, prefix


def caught(redact_out: str, secrets: list[str]) -> bool:
    return all(s not in redact_out for s in secrets)
