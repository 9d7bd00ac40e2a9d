"""Redact secrets from free text before it leaves Relaydesk (invariant 7).

Every string bound for an LLM prompt, an email, a chat message, a webhook or a PSA note goes
through `redact()` (or `redact_mapping()` for a JSON snapshot) first. A secret is replaced with
a typed marker such as ``[redacted password]``; in ``key: value`` shapes only the value goes, so
the note still reads (``pw: [redacted password]``). Markers are never matched again, so
redacting twice equals redacting once.

The rules are data (`rules.py`, `patterns.py`); `engine.py` compiles and runs them.

Policy: connection strings keep scheme, host, port, database and user (a senior needs them);
hashes, GUIDs, build, KB and case numbers survive; card numbers must pass Luhn and an issuer
prefix and not be named a case/ticket/order reference; short numbers are only codes when a
secret word (MFA, OTP, PIN, alarm, door, BIOS, unlock…) names them. A single plain word given as
a password in prose ("the password is bluebird") is missed unless quoted or after ':'/'='.
"""

from relaydesk.redaction.engine import redact, redact_mapping, redact_optional, redact_with_findings
from relaydesk.redaction.kinds import MARKER_RE, Finding, Redaction, SecretKind

__all__ = [
    "MARKER_RE",
    "Finding",
    "Redaction",
    "SecretKind",
    "redact",
    "redact_mapping",
    "redact_optional",
    "redact_with_findings",
]
