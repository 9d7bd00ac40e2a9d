"""Shapes that need a regex of their own, one entry each in `STRUCTURES`.

PEM blocks, URLs with userinfo, connection-string fields, AWS key pairs, chat webhooks, JWTs,
Entra client secrets, user/password pairs, card numbers, recovery keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relaydesk.redaction.checks import (
    Span,
    SpanFn,
    card_span,
    first_group,
    group,
    letters_and_digits,
    looks_like_password,
    mixed_base64,
    whole,
    whole_if,
)
from relaydesk.redaction.kinds import SecretKind
from relaydesk.redaction.values import NOT_MARKER, QUOTED_VALUE, SPANS, Value


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: SecretKind
    pattern: re.Pattern[str]
    priority: int
    hints: tuple[str, ...]  # lower-case; one must occur in the text for the rule to run
    span: SpanFn
    # Most rules never cross a line, so they run only on the lines that hold a hint; these few
    # (PEM blocks, an AWS key pair over two lines) run on the whole text.
    multiline: bool = False


def _ado_span(m: re.Match[str]) -> Span | None:
    """`Password=` is a connection-string field only when a ';' touches the pair."""
    if m.group("b") is not None:
        span = m.span("b")
    else:
        span = next((m.span(g) for g in ("q", "q2", "v") if m.group(g)), (0, 0))
    if span[0] == span[1]:
        return None
    if m.group("key").lower() in ("password", "pwd"):
        text = m.string
        before = text[: m.start()].rstrip(" \t")
        after = text[m.end() :].lstrip(" \t")
        if not (before.endswith(";") or after.startswith(";")):
            return None
    return span


def _pw_value(strict: bool) -> SpanFn:
    def span(m: re.Match[str]) -> Span | None:
        for name in ("q", "q2", "q3"):
            if m.groupdict().get(name):
                return m.span(name)
        value = m.group("v")
        if value is None:
            return None
        trimmed = value.rstrip(".,;:)]}>\"'?")
        if not looks_like_password(trimmed, strict=strict):
            return None
        return m.start("v"), m.start("v") + len(trimmed)

    return span


_PEM_LABEL = r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
_STRONG_PASSWORD_KEYS = r"pass(?:word|wd|code|phrase)|pwd|p/?w(?:ord)?"
# Account names that technicians pair with a password ("admin/admin123", "root:nasroot99").
_USERS = (
    r"administrator|admin|root|sa|ubnt|pi|guest|support|superuser|sysadmin|operator|cisco|manager"
    r"|[\w.-]*admin|admin[\w.-]*|svc[_-][\w.-]+|service[_-][\w.-]+|[\w.-]+\\[\w.-]+"
)
_LOGIN = r"(?:logged|log|logging|signed|sign|signing)[ \t]+(?:in|on|into)(?:[ \t]+to[ \t]+\S+)?[ \t]+as"
_CRED_WORDS = (
    r"creds?|credentials|login|logon|log-in|sign-in|default|account|user(?:name)?[ \t]*/[ \t]*pass(?:word)?"
)


def _r(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_I = re.IGNORECASE
PK, CONN, API, TOK = (
    SecretKind.PRIVATE_KEY,
    SecretKind.CONNECTION_STRING,
    SecretKind.API_KEY,
    SecretKind.TOKEN,
)
PW, REC = SecretKind.PASSWORD, SecretKind.RECOVERY_KEY

STRUCTURES: tuple[Rule, ...] = (
    # Marked secret by the technician: `[[secret:…]]` typed in any field (stored sealed in steps).
    Rule(
        "marked-secret", SecretKind.MARKED, _r(r"\[\[secret:[^\]\n]{1,2000}\]\]"), 120, ("[[secret:",), whole
    ),
    # Private keys, whole. The body never holds "-----", so a block cut off before its END cannot
    # run on into the next block's END; 12,000 covers an 8192-bit RSA key.
    Rule(
        "pem-block",
        PK,
        _r(rf"{_PEM_LABEL}(?:(?!-----)[\s\S]){{0,12000}}?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"),
        100,
        ("private key",),
        whole,
        multiline=True,
    ),
    Rule(
        "pem-truncated",
        PK,
        _r(rf"{_PEM_LABEL}(?:\s*(?:Proc-Type|DEK-Info|Comment):[^\r\n]*)*(?:\s+[A-Za-z0-9+/=]{{20,}})*"),
        100,
        ("private key",),
        whole,
        multiline=True,
    ),
    Rule(
        "putty-key",
        PK,
        _r(r"PuTTY-User-Key-File-\d:[\s\S]*?Private-MAC:[ \t]*[0-9a-fA-F]+"),
        100,
        ("putty-user-key-file",),
        whole,
        multiline=True,
    ),
    # Connection strings: host, port, database and user stay; only the credential goes.
    Rule(
        "url-userinfo",
        CONN,
        _r(
            rf"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{{1,30}}://[^\s:/@'\"<>]*:{NOT_MARKER}(?P<s>[^\s@/'\"<>]"
            rf"+)@(?=[A-Za-z0-9\[_])"
        ),
        90,
        ("://",),
        group("s"),
    ),
    Rule(
        "ado-field",
        CONN,
        _r(
            r"(?<![A-Za-z0-9_])(?P<key>password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)"
            rf"[ \t]*=[ \t]*{NOT_MARKER}"
            r"""(?:\{(?P<b>[^}\r\n]*)\}|"(?P<q>[^"\r\n]*)"|'(?P<q2>[^'\r\n]*)'|(?P<v>[^;\s"']+))""",
            _I,
        ),
        90,
        ("password", "pwd", "accountkey", "sharedaccess"),
        _ado_span,
    ),
    # Vendor formats that one prefix does not describe.
    Rule(
        "aws-access-key-id",
        API,
        _r(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
        80,
        ("akia", "asia", "abia", "acca", "a3t"),
        whole,
    ),
    # The 40-character AWS secret has no prefix; it is only recognisable next to its key id.
    Rule(
        "aws-secret-near-id",
        API,
        _r(
            r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}[\s\S]{0,120}?(?<![A-Za-z0-9/+])(?P<s>[A-Za-z0-9/+]"
            r"{40})(?![A-Za-z0-9/+=])"
        ),
        80,
        ("akia", "asia"),
        group("s", mixed_base64),
        multiline=True,
    ),
    Rule(
        "github-token",
        TOK,
        _r(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})"),
        80,
        ("gh",),
        whole,
    ),
    Rule(
        "slack-token",
        TOK,
        _r(r"(?<![A-Za-z0-9-])(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{10,250}"),
        80,
        ("xox", "xapp-"),
        whole,
    ),
    # Webhook URLs: the path is the credential; the host stays so the reader knows what it was.
    Rule(
        "webhook-url",
        TOK,
        _r(
            r"https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]+)|"
            r"[\w.-]+\.webhook\.office\.com/webhookb2/(?P<t>[^\s\"'<>]+)|(?:discord|discordapp)\.com/api/webhooks/(?P<d>\d+/[\w-]"
            r"+))",
            _I,
        ),
        80,
        ("hooks.slack.com", "webhook.office.com", "discord"),
        first_group("s", "t", "d"),
    ),
    Rule(
        "telegram-bot-token", TOK, _r(r"(?<![\w:])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![\w-])"), 80, (":aa",), whole
    ),
    Rule(
        "jwt",
        TOK,
        _r(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[\w-]+\.[\w-]+)?"),
        80,
        ("eyj",),
        whole,
    ),
    # Microsoft Entra client secrets: three characters, a digit, "Q~", then 31-34 more.
    Rule(
        "entra-client-secret",
        SecretKind.SECRET,
        _r(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])"),
        80,
        ("q~",),
        whole,
    ),
    Rule(
        "bearer",
        TOK,
        _r(rf"(?<![A-Za-z0-9])(?:bearer|token)[ \t]+{NOT_MARKER}(?P<s>[A-Za-z0-9._~+/=-]{{16,}})", _I),
        70,
        ("bearer", "token"),
        group("s", letters_and_digits),
    ),
    Rule(
        "basic-auth",
        PW,
        _r(
            r"""(?<![A-Za-z0-9])authorization["']?[ \t]*[:=][ \t]*["']?basic[ \t]+(?P<s>[A-Za-z0-9+/=]"""
            r"""{6,})""",
            _I,
        ),
        70,
        ("basic",),
        group("s"),
    ),
    Rule("bitlocker-recovery-key", REC, _r(r"\d{6}(?<![\d-]\d{6})(?:-\d{6}){7}(?![\d-])"), 70, (), whole),
    # Apple ID (7 groups) and FileVault (6 groups) recovery keys: four letters/digits a group.
    Rule(
        "apple-recovery-key",
        REC,
        _r(r"(?<![\w-])[A-Z0-9]{4}(?:-[A-Z0-9]{4}){5,6}(?![\w-])"),
        70,
        ("-",),
        whole_if(letters_and_digits),
    ),
    # Apple app-specific passwords are shown as four dash-joined groups of four letters.
    Rule(
        "app-password-dashed",
        PW,
        _r(r"(?<![\w-])[a-z]{4}-[a-z]{4}-[a-z]{4}-[a-z]{4}(?![\w-])"),
        66,
        ("-",),
        whole,
    ),
    # Commands with a password argument that a flag table cannot express.
    Rule(
        "secure-string",
        PW,
        _r(rf"ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?{NOT_MARKER}{QUOTED_VALUE}", _I),
        45,
        ("securestring",),
        first_group("q", "q2", "q3"),
    ),
    Rule(
        "net-user",
        PW,
        _r(
            rf"""(?<![\w])net[ \t]+user[ \t]+(?:"[^"\r\n]+"|[^\s/"]+)[ \t]+(?![/*]){NOT_MARKER}(?P<s>\S+)""",
            _I,
        ),
        40,
        ("net",),
        group("s"),
    ),
    Rule(
        "net-use",
        PW,
        _r(
            rf"""(?<![\w])net[ \t]+use[ \t]+(?:[a-z]:[ \t]+)?\\\\\S+[ \t]+(?![/*]){NOT_MARKER}(?P<s>\S+)""",
            _I,
        ),
        40,
        ("net",),
        group("s"),
    ),
    # User/password pairs in prose.
    Rule(
        "login-as-with",
        PW,
        _r(
            rf"(?<![A-Za-z]){_LOGIN}[ \t]+(?:[^\s,;]+[ \t]+){{0,2}}?[^\s,;]+[ \t]+(?:with|using|and|"
            rf"/|pw|password|pass)[ \t]+(?:(?:the|password|pw|pass|of|pwd)[ \t]+){{0,3}}{NOT_MARKER}"
            rf"(?:{QUOTED_VALUE}|(?P<v>\S+))",
            _I,
        ),
        38,
        ("logged", "log", "signed", "sign"),
        _pw_value(False),
    ),
    Rule(
        "user-pair",
        PW,
        _r(
            rf"(?<![\w./\\@:-])(?:{_USERS})[ \t]*(?:[ \t]/[ \t]|/|:)[ \t]*{NOT_MARKER}(?:{QUOTED_VALUE}|"
            rf"(?P<v>[^\s/]+))",
            _I,
        ),
        37,
        (
            "admin",
            "root",
            "sa ",
            "sa/",
            "sa:",
            "ubnt",
            "pi ",
            "pi/",
            "pi:",
            "guest",
            "support",
            "svc",
            "service",
            "operator",
            "cisco",
            "manager",
            "\\",
        ),
        _pw_value(False),
    ),
    Rule(
        "cred-pair",
        PW,
        _r(
            rf"(?<![A-Za-z])(?:{_CRED_WORDS})(?:[ \t]+[\w.-]+){{0,6}}?[ \t]*[:=]?[ \t]*[\w.@\\-]+(?:[ \t]"
            rf"*/[ \t]*|:(?=\S)){NOT_MARKER}(?:{QUOTED_VALUE}|(?P<v>\S+))",
            _I,
        ),
        36,
        ("cred", "login", "logon", "log-in", "sign-in", "default", "account", "user"),
        _pw_value(False),
    ),
    # "forgot his password again, reset it to Welcome1": the value sits a few words after the key.
    Rule(
        "password-reset-to",
        PW,
        _r(
            rf"(?<![A-Za-z0-9])(?:{_STRONG_PASSWORD_KEYS})(?![A-Za-z0-9_])(?:(?!\[redacted )[^\n.!?]"
            rf"){{0,60}}?(?<![A-Za-z0-9])(?:(?:re)?set|changed?)(?:[ \t]+(?:it|them|his|her|their|the|"
            rf"user'?s|back))?[ \t]+to[ \t]+{NOT_MARKER}(?:{QUOTED_VALUE}|(?P<v>\S{{1,300}}))",
            _I,
        ),
        35,
        ("pass", "pw", "p/w"),
        _pw_value(False),
    ),
    # Card numbers: Luhn, issuer prefix and grouping checked; references and case numbers kept.
    Rule(
        "card-number",
        SecretKind.CARD_NUMBER,
        _r(
            r"\d(?<![\w.-]\d)(?:\d{12,18}|\d{3}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)"
            r"\d{3})?|\d{3}(?P<sep2>[ -])\d{6}(?P=sep2)\d{4,5})(?![\w-]|\.\d)"
        ),
        30,
        (),
        card_span,
    ),
)

__all__ = ["SPANS", "STRUCTURES", "Rule", "Value"]
