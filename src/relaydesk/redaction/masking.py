"""Secrets masked on screen: a text split into plain parts and the secrets found in it.

Pages show the stored text (the step keeps the original) with every secret the redactor finds,
and every `[[secret:…]]` the technician marked, replaced by a mask and a "Reveal" button. The
n-th secret of a text is addressed by its index, so the reveal route can find it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from relaydesk.redaction.engine import redact_with_findings
from relaydesk.redaction.kinds import SecretKind

MARK_OPEN = "[[secret:"
MARK_CLOSE = "]]"


@dataclass(frozen=True, slots=True)
class Part:
    text: str  # the plain text, or for a secret its original value as stored
    kind: SecretKind | None = None  # None: plain text
    index: int = -1  # the secret's number within the text


def parts(text: str) -> list[Part]:
    """`text` as plain parts and secrets, in order."""
    out: list[Part] = []
    last = 0
    for n, finding in enumerate(redact_with_findings(text).findings):
        if finding.start > last:
            out.append(Part(text[last : finding.start]))
        out.append(Part(text[finding.start : finding.end], finding.kind, n))
        last = finding.end
    if last < len(text):
        out.append(Part(text[last:]))
    return out


def secret_at(text: str, index: int) -> Part | None:
    return next((p for p in parts(text) if p.kind is not None and p.index == index), None)


def marked_value(stored: str) -> str:
    """The value inside a `[[secret:…]]` mark as stored (the caller opens a sealed one)."""
    if stored.startswith(MARK_OPEN) and stored.endswith(MARK_CLOSE):
        return stored[len(MARK_OPEN) : -len(MARK_CLOSE)]
    return stored
