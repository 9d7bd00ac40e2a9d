"""Redact secrets from free text before it leaves Relaydesk (invariant 7).

Every string bound for an LLM prompt, an email, a chat message or a PSA note goes through
`redact()` (or `redact_mapping()` for a JSON snapshot) first. A secret is replaced with a
typed marker such as ``[redacted password]``; in ``key: value`` shapes only the value goes,
so the note still reads (``pw: [redacted password]``).

Why our own compiled patterns and not detect-secrets
----------------------------------------------------
`detect-secrets` (Yelp, 1.5.0, the current release, May 2024) was run over the test corpus in
``tests/summaries/redaction_corpus.py``. It is built to scan files in a repository and fits
this job poorly:

- Regex and keyword plugins alone fully locate the secrets of 8 of the 62 secret lines (ours:
  62). The keyword plugin is tuned for code (``password = "x"``) and misses prose such as
  "reset his pw to Summer2024!" or even ``password: Welcome1!``. There is nothing for connection
  strings, Wi-Fi keys, card numbers, bearer headers, ``github_pat_``, ``xapp-`` or Entra ``Q~``
  secrets, and the AWS secret key is found only quoted after an ``aws…key`` name.
- It reports secret *values*, not spans, and some values are fragments: the GitHub detector
  reports just ``gho`` (a capture group in its regex) and the private-key detector just
  ``BEGIN RSA PRIVATE KEY``. Redacting by those values would leak the token and the key body.
- Adding its high-entropy plugins at their default limits still leaves 43 of 62 lines unredacted
  and flags 4 of 59 innocent lines (GUID groups, SHA-1 and SHA-256 hashes) that seniors need.
- ``scan_line`` changes process-wide settings on every call, so concurrent workers cannot use it
  safely. It also needs ``requests`` and ``PyYAML`` for network "verify" code we would never run.
- It is slow for this use: about 800 ms per 100 KB of notes, against about 50 ms here.

So the patterns live here, compiled once at import. Their shapes follow detect-secrets and
the published token formats of AWS, GitHub, Slack and Microsoft Entra.

Policy decisions
----------------
- Connection strings: scheme, host, port, database and user stay (they are what a senior
  needs to troubleshoot); only the credential value is replaced, always with
  ``[redacted connection string]``: ``postgres://app:[redacted connection string]@db01/crm``,
  ``Server=sql01;User Id=sa;Password=[redacted connection string];``. ``Password=`` counts as
  part of a connection string when a ``;`` touches the pair; otherwise it is a plain password.
- Passwords after ``:`` or ``=`` are always redacted (bar a few words such as "reset" or
  "expired" and masks like ``*****``). In prose ("the password is X", "pw to X") the value must
  look like a password (a digit or an inner symbol) so that "the password is correct" survives.
  The cost: a single plain word given as a password in prose is missed.
- Hashes (SHA-1/SHA-256 in logs), GUIDs, build numbers, KB numbers and error codes are not
  secrets and survive; the same strings after ``token=``, ``Bearer`` etc. are redacted.
- Card numbers must pass Luhn, have a known card prefix and a usual grouping, so timestamps,
  ticket and serial numbers survive.
- ``redact_mapping`` also replaces any string value whose dict key names a secret
  (``{"password": "..."}``), because the value alone carries no context. Keys are kept.

Markers are never matched again, so redacting twice equals redacting once.

Known limits: an unquoted value ends at whitespace, so ``password: Summer 2024`` keeps
``2024`` (quoted values and passphrases, which run to the end of the line, are whole). Product
keys, MFA codes and personal data such as names or addresses are not in scope.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar, cast

__all__ = ["Finding", "Redaction", "SecretKind", "redact", "redact_mapping", "redact_with_findings"]


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

    @property
    def marker(self) -> str:
        return f"[redacted {self.value}]"


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


# ---------------------------------------------------------------------------------------------
# Rules

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    kind: SecretKind
    pattern: re.Pattern[str]
    # On overlap the higher priority wins: specific formats beat keyword guesses.
    priority: int
    # Lower-case substrings, one of which must occur for the rule to run at all (cheap skip).
    hints: tuple[str, ...]
    # Returns the span to replace, or None to reject the match.
    span: Callable[[re.Match[str]], Span | None]


_MARKER_RE = re.compile(r"\[redacted (?:" + "|".join(re.escape(k.value) for k in SecretKind) + r")\]")
_NOT_MARKER = r"(?!\[redacted )"

# Trailing characters that end a sentence rather than a password ("pw is Summer24.").
_TRAILING = ".,;:)]}>\"'?"

# Values after "password:" that describe the password instead of being one.
_STOPWORDS = frozenset(
    """reset expired expires changed change required none n/a na null nil unknown blank empty see
    same set unset not no yes never policy manager prompt prompted redacted hidden removed invalid
    failed missing revoked locked true false ok tbd in on at the a an is was to from with via""".split()
)
_MASK_RE = re.compile(r"[*•xX#.]+")
# Shapes that follow "password is/to …" in notes but are not passwords.
_NOT_SECRET_SHAPE_RE = re.compile(
    r"""
    \d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?      # dates
    | \d{1,2}:\d{2}(?::\d{2})?(?:am|pm)?        # times
    | v?\d+(?:\.\d+)+                           # versions, IPv4
    | [\w.+-]+@[\w-]+\.[\w.-]+                  # e-mail addresses
    | (?:https?://|\\\\|[A-Za-z]:\\|/)\S*       # URLs and paths
    | 0x[0-9a-f]+ | kb\d+                       # error codes, KB numbers
    | [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _is_mask_or_stopword(value: str) -> bool:
    return value.lower() in _STOPWORDS or bool(_MASK_RE.fullmatch(value))


def _looks_like_password(value: str, *, strict: bool) -> bool:
    """Prose heuristic: digits or an inner symbol. `strict` (no separator at all) asks for more."""
    if len(value) < (6 if strict else 4) or _is_mask_or_stopword(value):
        return False
    if _NOT_SECRET_SHAPE_RE.fullmatch(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    # A hyphen or apostrophe inside a word is spelling ("e-mailed", "user's"), not a symbol.
    inner_symbol = any(not c.isalnum() and c not in "-'" for c in value[:-1])
    if strict:
        return has_alpha and (has_digit or inner_symbol)
    return has_digit or inner_symbol


def _looks_like_token(value: str) -> bool:
    """Keys and tokens are long and not a plain lower-case word ("token: expired")."""
    if len(value) < 8 or _is_mask_or_stopword(value):
        return False
    return not re.fullmatch(r"[a-z]+", value)


def _quoted_or_bare(m: re.Match[str]) -> tuple[Span, str, bool] | None:
    """The value of a keyed match: its span, its text, and whether it was quoted."""
    for group in ("q", "q2"):
        if m.group(group):
            return m.span(group), m.group(group), True
    if m.group("v") is None:
        return None
    start = m.start("v")
    value = m.group("v").rstrip(_TRAILING)
    if not value:
        return None
    return (start, start + len(value)), value, False


# A separator after a key: "password: X", "pwd=X", "password is: X", JSON "password": "X".
_COLON_SEP = r"""["']?(?:[ \t]+(?:is|was))?[ \t]*(?::=|[:=])[ \t]*"""
# Prose glue: "password is X", "pw was reset to X", "pw has been reset to X".
_GLUE_SEP = (
    r"[ \t]+(?:(?:is|was|to|now|set|reset|changed|still|also|as|be|will|has|been|currently)[ \t]+){1,4}"
)
# "password for jsmith: X", "password to the portal is X": a qualifier only before a real separator.
_QUALIFIER = (
    rf"(?P<qual>[ \t]+(?:for|of|on|to)[ \t]+(?:the[ \t]+)?[\w.@\\$-]{{1,64}}(?={_COLON_SEP}|{_GLUE_SEP}))?"
)
_QUOTED_VALUE = r"""(?:"(?P<q>[^"\r\n]{1,300})"|'(?P<q2>[^'\r\n]{1,300})')"""


def _keyed(keys: str, *, prose: bool, bare: str = r"\S{1,300}") -> re.Pattern[str]:
    """`<key><separator><value>`, with the key not glued to a longer word on either side."""
    sep = f"{_COLON_SEP}|{_GLUE_SEP}|[ \\t]+" if prose else _COLON_SEP
    qualifier = _QUALIFIER if prose else ""
    return re.compile(
        rf"(?<![A-Za-z0-9])(?P<key>{keys})(?![A-Za-z0-9_]){qualifier}(?P<sep>{sep})"
        rf"{_NOT_MARKER}(?:{_QUOTED_VALUE}|(?P<v>{bare}))",
        re.IGNORECASE,
    )


_WEAK_KEYS = frozenset({"pass", "pin", "psk"})


def _prose_span(m: re.Match[str]) -> Span | None:
    """Password-like keys: aggressive after ':'/'=', heuristic in prose."""
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, quoted = found
    if quoted:
        return None if _is_mask_or_stopword(value.strip()) else span
    sep = m.group("sep")
    weak = m.group("key").lower() in _WEAK_KEYS
    if (":" in sep or "=" in sep) and not weak:
        if _is_mask_or_stopword(value):
            return None
        if "phrase" in m.group("key").lower():
            # A passphrase is words with spaces: take the rest of the line.
            text = m.string
            line_end = len(text) if (nl := text.find("\n", span[0])) < 0 else nl
            return span[0], span[0] + len(text[span[0] : line_end].rstrip(" \t\r" + _TRAILING))
        return span
    strict = not sep.strip() and not m.group("qual")
    return span if _looks_like_password(value, strict=strict) else None


def _context_span(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, quoted = found
    return span if quoted or _looks_like_password(value, strict=False) else None


def _token_span(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, quoted = found
    if quoted:
        return None if len(value) < 4 or _is_mask_or_stopword(value) else span
    return span if _looks_like_token(value) else None


def _whole(m: re.Match[str]) -> Span | None:
    return m.span()


def _group(name: str, accept: Callable[[str], bool] | None = None) -> Callable[[re.Match[str]], Span | None]:
    def span(m: re.Match[str]) -> Span | None:
        value = m.group(name)
        if value is None or (accept is not None and not accept(value)):
            return None
        return m.span(name)

    return span


def _mixed_base64(value: str) -> bool:
    return any(c.isupper() for c in value) and any(c.islower() for c in value)


def _token_like(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _ado_span(m: re.Match[str]) -> Span | None:
    """`Password=` is a connection-string field only when a ';' touches the pair."""
    found = _quoted_or_bare(m)
    span = m.span("b") if m.group("b") is not None else (found[0] if found else None)
    if span is None or span[0] == span[1]:
        return None
    if m.group("key").lower() in ("password", "pwd"):
        text = m.string
        before = text[: m.start()].rstrip(" \t")
        after = text[m.end() :].lstrip(" \t")
        if not (before.endswith(";") or after.startswith(";")):
            return None
    return span


def _card_brand_ok(d: str) -> bool:
    """Issuer prefix and length agree (IMEIs are Luhn-valid too, but 15 digits from 35…)."""
    n, two, three, four = len(d), int(d[:2]), int(d[:3]), int(d[:4])
    if d[0] == "4":  # Visa
        return n in (13, 16, 19)
    if two in (34, 37):  # Amex
        return n == 15
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return n == 16
    if 300 <= three <= 305 or two in (36, 38, 39):  # Diners
        return 14 <= n <= 19
    # JCB, Discover, UnionPay
    if 3528 <= four <= 3589 or four == 6011 or 644 <= three <= 649 or two in (62, 65):
        return 16 <= n <= 19
    if two in (50, 56, 57, 58, 59, 60, 61, 63, 66, 67, 68, 69):  # Maestro
        return 16 <= n <= 19
    return False


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_span(m: re.Match[str]) -> Span | None:
    digits = re.sub(r"\D", "", m.group())
    if not 13 <= len(digits) <= 19 or not _card_brand_ok(digits) or not _luhn_ok(digits):
        return None
    return m.span()


_PEM_LABEL = r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"

_STRONG_PASSWORD_KEYS = r"pass(?:word|wd|code|phrase)|pwd|p/?w(?:ord)?"
_PASSWORD_KEYS = rf"{_STRONG_PASSWORD_KEYS}|pass|pin"
_WIFI_KEYS = (
    r"(?:wi-?fi|wlan|wireless|ssid)(?:[ \t]+[\w.-]{1,32})?[ \t]+"
    r"(?:password|passphrase|passcode|pass|pwd|pw|key|code)"
    r"|wpa[23]?(?:[- ]?(?:psk|personal))?[ \t]+(?:key|passphrase|password|pass)"
    r"|wpa[- ]?key|wpa_passphrase|wpa_psk|pre-?shared[ -]key|network[ \t]+(?:security[ \t]+)?key|psk"
)
# A VPN pre-shared key is a password, not a Wi-Fi key.
_VPN_KEYS = (
    r"(?:vpn|ipsec|ike|l2tp|tunnel)(?:[ \t]+[\w.-]{1,32})?[ \t]+(?:psk|pre-?shared[ -]key|shared[ -]secret)"
)
_API_KEY_KEYS = (
    r"api[_ -]?key|apikey|api[_ -]?secret|access[_ -]?key(?:[_ -]?id)?|subscription[_ -]?key"
    r"|account[_ -]?key|storage[_ -]?key|master[_ -]?key|function[_ -]?key"
)
_TOKEN_KEYS = (
    r"(?:(?:access|refresh|auth|id|session|bearer|bot|app|api|sas|oauth|pat|csrf|security)[_ -]?)?token|sig"
)
_SECRET_KEYS = (
    r"(?:(?:client|app|application|shared|consumer|webhook|signing|aws)[_ -]?)?secret"
    r"(?:[_ -]?(?:access[_ -]?)?key|[_ -]?value)?"
)
_TOKEN_VALUE = r"""[^\s,;&"'<>]{1,500}"""

_RULES: tuple[_Rule, ...] = (
    # --- private keys: whole block, multi-line ---------------------------------------------
    _Rule(
        "pem-block",
        SecretKind.PRIVATE_KEY,
        # The body never holds "-----", so a block cut off before its END cannot run on into the
        # next block's END and swallow the notes in between; 12,000 covers an 8192-bit RSA key.
        re.compile(
            rf"{_PEM_LABEL}(?:(?!-----)[\s\S]){{0,12000}}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
        ),
        100,
        ("private key",),
        _whole,
    ),
    # A paste cut off before its END line still loses everything that looks like key material.
    _Rule(
        "pem-truncated",
        SecretKind.PRIVATE_KEY,
        re.compile(
            rf"{_PEM_LABEL}(?:\s*(?:Proc-Type|DEK-Info|Comment):[^\r\n]*)*(?:\s+[A-Za-z0-9+/=]{{20,}})*"
        ),
        100,
        ("private key",),
        _whole,
    ),
    _Rule(
        "putty-key",
        SecretKind.PRIVATE_KEY,
        re.compile(r"PuTTY-User-Key-File-\d:[\s\S]*?Private-MAC:[ \t]*[0-9a-fA-F]+"),
        100,
        ("putty-user-key-file",),
        _whole,
    ),
    # --- connection strings ------------------------------------------------------------------
    _Rule(
        "url-userinfo",
        SecretKind.CONNECTION_STRING,
        re.compile(
            rf"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{{1,30}}://[^\s:/@'\"<>]*:{_NOT_MARKER}"
            r"(?P<s>[^\s@/'\"<>]+)@(?=[A-Za-z0-9\[_])"
        ),
        90,
        ("://",),
        _group("s"),
    ),
    _Rule(
        "ado-field",
        SecretKind.CONNECTION_STRING,
        re.compile(
            r"(?<![A-Za-z0-9_])(?P<key>password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)"
            rf"[ \t]*=[ \t]*{_NOT_MARKER}"
            r"""(?:\{(?P<b>[^}\r\n]*)\}|"(?P<q>[^"\r\n]*)"|'(?P<q2>[^'\r\n]*)'|(?P<v>[^;\s"']+))""",
            re.IGNORECASE,
        ),
        90,
        ("password", "pwd", "accountkey", "sharedaccess"),
        _ado_span,
    ),
    # --- vendor formats ----------------------------------------------------------------------
    _Rule(
        "aws-access-key-id",
        SecretKind.API_KEY,
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
        80,
        ("akia", "asia", "abia", "acca", "a3t"),
        _whole,
    ),
    # The 40-character secret has no prefix; it is only recognisable next to its key id.
    _Rule(
        "aws-secret-near-id",
        SecretKind.API_KEY,
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}[\s\S]{0,120}?"
            r"(?<![A-Za-z0-9/+])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        80,
        ("akia", "asia"),
        _group("s", _mixed_base64),
    ),
    _Rule(
        "github-token",
        SecretKind.TOKEN,
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})"),
        80,
        ("gh",),
        _whole,
    ),
    _Rule(
        "slack-token",
        SecretKind.TOKEN,
        re.compile(r"(?<![A-Za-z0-9-])(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{10,250}"),
        80,
        ("xox", "xapp-"),
        _whole,
    ),
    # Webhook URLs: the path is the credential; the host stays so the reader knows what it was.
    _Rule(
        "webhook-url",
        SecretKind.TOKEN,
        re.compile(
            r"https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]+)"
            r"|[\w.-]+\.webhook\.office\.com/webhookb2/(?P<t>[^\s\"'<>]+)"
            r"|(?:discord|discordapp)\.com/api/webhooks/(?P<d>\d+/[\w-]+))",
            re.IGNORECASE,
        ),
        80,
        ("hooks.slack.com", "webhook.office.com", "discord"),
        lambda m: next((m.span(g) for g in ("s", "t", "d") if m.group(g)), None),
    ),
    _Rule(
        "jwt",
        SecretKind.TOKEN,
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[\w-]+\.[\w-]+)?"
        ),
        80,
        ("eyj",),
        _whole,
    ),
    # Microsoft Entra client secrets: three characters, a digit, "Q~", then 31-34 more.
    _Rule(
        "entra-client-secret",
        SecretKind.SECRET,
        re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])"),
        80,
        ("q~",),
        _whole,
    ),
    _Rule(
        "bearer",
        SecretKind.TOKEN,
        re.compile(
            rf"(?<![A-Za-z0-9])bearer[ \t]+{_NOT_MARKER}(?P<s>[A-Za-z0-9._~+/=-]{{16,}})", re.IGNORECASE
        ),
        70,
        ("bearer",),
        _group("s", _token_like),
    ),
    _Rule(
        "basic-auth",
        SecretKind.PASSWORD,
        re.compile(
            r"""(?<![A-Za-z0-9])authorization["']?[ \t]*[:=][ \t]*["']?"""
            r"basic[ \t]+(?P<s>[A-Za-z0-9+/=]{6,})",
            re.IGNORECASE,
        ),
        70,
        ("basic",),
        _group("s"),
    ),
    _Rule(
        "bitlocker-recovery-key",
        SecretKind.RECOVERY_KEY,
        re.compile(r"(?<![\d-])\d{6}(?:-\d{6}){7}(?![\d-])"),
        70,
        (),
        _whole,
    ),
    # --- keyed values --------------------------------------------------------------------------
    _Rule(
        "vpn-psk",
        SecretKind.PASSWORD,
        _keyed(_VPN_KEYS, prose=True),
        65,
        ("vpn", "ipsec", "ike", "l2tp", "tunnel"),
        _prose_span,
    ),
    _Rule(
        "wifi-key",
        SecretKind.WIFI_KEY,
        _keyed(_WIFI_KEYS, prose=True),
        60,
        ("wi", "wlan", "wpa", "psk", "ssid", "shared", "network"),
        _prose_span,
    ),
    _Rule(
        "api-key",
        SecretKind.API_KEY,
        _keyed(_API_KEY_KEYS, prose=False, bare=_TOKEN_VALUE),
        50,
        ("key",),
        _token_span,
    ),
    _Rule(
        "token",
        SecretKind.TOKEN,
        _keyed(_TOKEN_KEYS, prose=False, bare=_TOKEN_VALUE),
        50,
        ("token", "sig"),
        _token_span,
    ),
    _Rule(
        "secret",
        SecretKind.SECRET,
        _keyed(_SECRET_KEYS, prose=False, bare=_TOKEN_VALUE),
        50,
        ("secret",),
        _token_span,
    ),
    _Rule(
        "secure-string",
        SecretKind.PASSWORD,
        re.compile(
            rf"ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?{_NOT_MARKER}{_QUOTED_VALUE}", re.IGNORECASE
        ),
        45,
        ("securestring",),
        lambda m: m.span("q") if m.group("q") else m.span("q2"),
    ),
    # `net user jsmith P@ssw0rd1 /add`; `*` asks for a prompt and `/x` is a switch.
    _Rule(
        "net-user",
        SecretKind.PASSWORD,
        re.compile(
            rf"""(?<![\w])net[ \t]+user[ \t]+(?:"[^"\r\n]+"|[^\s/"]+)[ \t]+(?![/*]){_NOT_MARKER}(?P<s>\S+)""",
            re.IGNORECASE,
        ),
        40,
        ("net",),
        _group("s"),
    ),
    _Rule(
        "password",
        SecretKind.PASSWORD,
        _keyed(_PASSWORD_KEYS, prose=True),
        40,
        ("pass", "pw", "pin", "p/w"),
        _prose_span,
    ),
    # "forgot his password again, reset it to Welcome1": the value sits a few words after the key.
    # The gap never crosses a marker, so a second pass cannot reach further than the first.
    _Rule(
        "password-reset-to",
        SecretKind.PASSWORD,
        re.compile(
            rf"(?<![A-Za-z0-9])(?:{_STRONG_PASSWORD_KEYS})(?![A-Za-z0-9_])"
            r"(?:(?!\[redacted )[^\n.!?]){0,60}?"
            r"(?<![A-Za-z0-9])(?:(?:re)?set|changed?)(?:[ \t]+(?:it|them|his|her|their|the|user'?s|back))?"
            rf"[ \t]+to[ \t]+{_NOT_MARKER}(?:{_QUOTED_VALUE}|(?P<v>\S{{1,300}}))",
            re.IGNORECASE,
        ),
        35,
        ("pass", "pw", "p/w"),
        _context_span,
    ),
    # --- card numbers: Luhn, prefix and grouping checked -------------------------------------
    _Rule(
        "card-number",
        SecretKind.CARD_NUMBER,
        re.compile(
            r"(?<![\w.-])(?:\d{13,19}"
            r"|\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)\d{3})?"
            r"|\d{4}(?P<sep2>[ -])\d{6}(?P=sep2)\d{4,5})"
            r"(?![\w-]|\.\d)"
        ),
        30,
        (),
        _card_span,
    ),
)


# ---------------------------------------------------------------------------------------------
# Engine


def _candidates(text: str) -> Iterator[tuple[int, int, int, SecretKind]]:
    lowered = text.lower()
    for rule in _RULES:
        if rule.hints and not any(h in lowered for h in rule.hints):
            continue
        pos = 0
        while (m := rule.pattern.search(text, pos)) is not None:
            span = rule.span(m)
            if span is None or span[0] >= span[1]:
                # Rejected by the check after the regex: retry just past its start, since a
                # later key inside this match may still hold a real secret.
                pos = m.start() + 1
                continue
            yield span[0], span[1], rule.priority, rule.kind
            pos = max(m.end(), m.start() + 1)


def _overlaps(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_left(starts, start)
    if i < len(starts) and starts[i] < end:
        return True
    return i > 0 and ends[i - 1] > start


def redact_with_findings(text: str) -> Redaction:
    """Redact `text`, reporting each replaced span in the original text's coordinates."""
    markers = [m.span() for m in _MARKER_RE.finditer(text)]
    marker_starts = [s for s, _ in markers]
    marker_ends = [e for _, e in markers]

    found = [c for c in _candidates(text) if not _overlaps(marker_starts, marker_ends, c[0], c[1])]
    # Highest priority first, then earliest, then longest; overlapping losers are dropped.
    found.sort(key=lambda c: (-c[2], c[0], c[0] - c[1]))
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[SecretKind] = []
    for start, end, _priority, kind in found:
        if _overlaps(starts, ends, start, end):
            continue
        i = bisect.bisect_left(starts, start)
        starts.insert(i, start)
        ends.insert(i, end)
        kinds.insert(i, kind)

    if not starts:
        return Redaction(text=text, findings=())
    pieces: list[str] = []
    last = 0
    for start, end, kind in zip(starts, ends, kinds, strict=True):
        pieces.append(text[last:start])
        pieces.append(kind.marker)
        last = end
    pieces.append(text[last:])
    findings = tuple(Finding(kind, s, e) for s, e, kind in zip(starts, ends, kinds, strict=True))
    return Redaction(text="".join(pieces), findings=findings)


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by a typed marker."""
    return redact_with_findings(text).text


# A dict key that names a secret: its whole string value is one.
_SECRET_FIELD_RE = re.compile(
    r"(?:.*[_\- ])?(?P<name>password|passwd|pwd|passphrase|secret|client_?secret|token|access_?token"
    r"|refresh_?token|api_?key|apikey|private_?key|connection_?string|conn_?str|psk)",
    re.IGNORECASE,
)
_FIELD_KINDS: dict[str, SecretKind] = {
    "password": SecretKind.PASSWORD,
    "passwd": SecretKind.PASSWORD,
    "pwd": SecretKind.PASSWORD,
    "passphrase": SecretKind.PASSWORD,
    "psk": SecretKind.WIFI_KEY,
    "apikey": SecretKind.API_KEY,
    "privatekey": SecretKind.PRIVATE_KEY,
    "connectionstring": SecretKind.CONNECTION_STRING,
    "connstr": SecretKind.CONNECTION_STRING,
}


def _field_kind(key: str) -> SecretKind | None:
    m = _SECRET_FIELD_RE.fullmatch(key)
    if m is None:
        return None
    name = m.group("name").lower().replace("_", "")
    if name in _FIELD_KINDS:
        return _FIELD_KINDS[name]
    return SecretKind.SECRET if name.endswith("secret") else SecretKind.TOKEN


T = TypeVar("T")


def redact_mapping(obj: T) -> T:
    """A redacted copy of a JSON-like value: dicts, lists and tuples walked, strings redacted.

    Keys are kept as they are; other scalars (numbers, booleans, None) pass through.
    """
    return cast(T, _walk(obj, None))


def _walk(obj: Any, key: str | None) -> Any:
    if isinstance(obj, str):
        kind = _field_kind(key) if key is not None else None
        if kind is not None and obj.strip() and not _MARKER_RE.fullmatch(obj):
            return kind.marker
        return redact(obj)
    if isinstance(obj, dict):
        return {k: _walk(v, k if isinstance(k, str) else None) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, None) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_walk(v, None) for v in obj)
    return obj
