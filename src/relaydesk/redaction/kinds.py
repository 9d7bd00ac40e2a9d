"""What redaction reports: the kind of each secret, where it was, and the redacted text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class SecretKind(StrEnum):
    PASSWORD = "password"
    API_KEY = "api key"
    TOKEN = "token"
    SECRET = "secret"
    PRIVATE_KEY = "private key"
    CONNECTION_STRING = "connection string"
    WIFI_KEY = "wifi key"
    CARD_NUMBER = "card number"
    RECOVERY_KEY = "recovery key"
    # Short numeric secrets named by the words before them: MFA backup codes, OTPs, alarm codes.
    CODE = "code"
    # Marked secret by the technician (see sessions' step secrets); never matched by a pattern.
    MARKED = "marked secret"

    @property
    def marker(self) -> str:
        return f"[redacted {self.value}]"


MARKER_RE = re.compile(r"\[redacted (?:" + "|".join(re.escape(k.value) for k in SecretKind) + r")\]")


@dataclass(frozen=True, slots=True)
class Finding:
    """One redacted span, in the coordinates of the original text."""

    kind: SecretKind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    findings: tuple[Finding, ...]

    @property
    def counts(self) -> dict[SecretKind, int]:
        return dict(Counter(f.kind for f in self.findings))

    @property
    def changed(self) -> bool:
        return bool(self.findings)
