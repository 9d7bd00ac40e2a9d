"""Keyed secrets: `<secret word><separator><value>`, and what each kind of value must look like.

A phrase rule in `rules.py` names its secret words and one `Value` from here; this module turns
them into a pattern and the check that decides on the value.
"""

from __future__ import annotations

import re
from enum import StrEnum

from relaydesk.redaction.checks import (
    TRAILING,
    Span,
    SpanFn,
    is_mask_or_stopword,
    looks_like_password,
    looks_like_token,
    token_in_prose,
)

NOT_MARKER = r"(?!\[redacted )"

# A separator after a key: "password: X", "pwd=X", "password is: X", JSON "password": "X".
COLON_SEP = r"""["']?(?:[ \t]+(?:is|was))?[ \t]*(?::=|[:=#])[ \t]*"""
# Prose glue: "password is X", "pw was reset to X", "her password is probably X".
GLUE_SEP = (
    r"[ \t]+(?:(?:is|was|are|to|now|set|reset|changed|still|also|as|be|will|has|have|been|currently"
    r"|probably|likely|maybe|prob|usually|always|just|either|should|might|could|must|temporarily"
    r"|either|literally|simply|again|back|then|of|one|were)[ \t]+){1,4}"
)
# "password for jsmith: X", "password to the portal is X": a qualifier only before a real separator.
QUALIFIER = (
    rf"(?P<qual>[ \t]+(?:for|of|on|to|at|in)[ \t]+(?:the[ \t]+|his[ \t]+|her[ \t]+)?[\w.@\\$-]{{1,64}}"
    rf"(?={COLON_SEP}|{GLUE_SEP}))?"
)
QUOTED_VALUE = r"""(?:"(?P<q>[^"\r\n]{1,300})"|'(?P<q2>[^'\r\n]{1,300})'|«(?P<q3>[^»\r\n]{1,300})»)"""
TOKEN_VALUE = r"""[^\s,;&"'<>]{1,500}"""
# Codes: "482913", "1984#", "318 552", or a list of backup codes "8813 4420, 5521 0937".
_ONE_CODE = r"(?:\d{3,4}[ -]\d{3,4}(?![\d-])|\d{4,10}|\d{1,3}(?:-\d{1,3}){2,3})"
CODE_VALUE = (
    rf"(?<![\w.:/-]){_ONE_CODE}#?(?:(?:[ \t]*[,;][ \t]*|[ \t]+){_ONE_CODE}#?)*"
    r"(?![\w.:/%-]|,\d)"
)
# App passwords: four groups of four letters (Google shows spaces, Apple dashes) or sixteen letters.
GROUPS4_VALUE = r"(?<![\w-])(?:[a-z]{4}(?P<gs>[ -])[a-z]{4}(?P=gs)[a-z]{4}(?P=gs)[a-z]{4}|[a-z]{16})(?![\w-])"


class Value(StrEnum):
    """What follows the secret word, and how sure the words before it make us."""

    PASSWORD = "password"  # aggressive after ':'/'=', heuristic in prose
    PASSPHRASE = "passphrase"  # after ':'/'=', the rest of the line
    TOKEN = "token"  # after ':'/'=', long and not a plain word; in prose, generated-looking
    CODE = "code"  # digits, up to a few words after the secret word
    WORD = "word"  # a device config value or a named word: any word that is not a stopword
    GROUPS4 = "groups4"  # app passwords


_WEAK_KEYS = frozenset({"pass", "pin", "psk"})


def keyed_pattern(keys: str, value: Value) -> re.Pattern[str]:
    """`<key><separator><value>`, with the key not glued to a longer word on either side."""
    # No lookbehind before the key: it would be tried at every position of the text and slow the
    # search threefold; `bounded` checks the character before the match instead.
    head = rf"(?P<key>{keys})(?![A-Za-z0-9_])"
    if value is Value.CODE:
        gap = r"(?:[ \t]+(?![\d#])[\w'’/-]{1,20}){0,5}?"
        return re.compile(rf"{head}{gap}(?P<sep>[ \t]*[:=#-]?[ \t]*){NOT_MARKER}(?P<v>{CODE_VALUE})", re.I)
    if value is Value.GROUPS4:
        gap = r"(?:[ \t]+(?![a-z]{4}[ -][a-z]{4})[\w'/-]{1,20}){0,4}?"
        return re.compile(rf"{head}{gap}(?P<sep>[ \t]*[:=]?[ \t]*)(?P<v>{GROUPS4_VALUE})", re.I)
    bare = TOKEN_VALUE if value is Value.TOKEN else r"\S{1,300}"
    sep = f"{COLON_SEP}|{GLUE_SEP}|[ \\t]+"
    # "api key for the RMM <key>": a generated-looking value may sit a few short words later.
    gap = r"(?:[ \t]+(?!\S{16})[\w'/.-]{1,15}){0,4}(?=[ \t:=])" if value is Value.TOKEN else ""
    return re.compile(
        rf"{head}{gap}{QUALIFIER}(?P<sep>{sep}){NOT_MARKER}(?:{QUOTED_VALUE}|(?P<v>{bare}))",
        re.IGNORECASE,
    )


def bounded(span: SpanFn) -> SpanFn:
    """Reject a match glued to a longer word on its left ("bypass: x" is not "pass: x")."""

    def check(m: re.Match[str]) -> Span | None:
        start = m.start()
        if start and m.string[start - 1].isalnum():
            return None
        return span(m)

    return check


def _quoted_or_bare(m: re.Match[str]) -> tuple[Span, str, bool] | None:
    """The value of a keyed match: its span, its text, and whether it was quoted."""
    for name in ("q", "q2", "q3"):
        if m.group(name):
            return m.span(name), m.group(name), True
    if m.group("v") is None:
        return None
    start = m.start("v")
    value = m.group("v").rstrip(TRAILING)
    if not value:
        return None
    return (start, start + len(value)), value, False


def _has_colon(m: re.Match[str]) -> bool:
    sep = m.group("sep")
    return ":" in sep or "=" in sep


def _password(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, quoted = found
    if quoted:
        return None if is_mask_or_stopword(value.strip()) else span
    weak = m.group("key").lower() in _WEAK_KEYS
    if _has_colon(m) and not weak:
        return None if is_mask_or_stopword(value) else span
    strict = not m.group("sep").strip() and not m.group("qual")
    return span if looks_like_password(value, strict=strict) else None


def _passphrase(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, _value, quoted = found
    if quoted or not _has_colon(m):
        return _password(m)
    text = m.string
    line_end = len(text) if (nl := text.find("\n", span[0])) < 0 else nl
    rest = text[span[0] : line_end].rstrip(" \t\r" + TRAILING)
    # Words with spaces are the passphrase; one word alone may be "reset" or "see vault".
    if " " not in rest and is_mask_or_stopword(rest):
        return None
    return span[0], span[0] + len(rest)


def _token(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, quoted = found
    if quoted:
        return None if len(value) < 4 or is_mask_or_stopword(value) else span
    if _has_colon(m):
        return span if looks_like_token(value) else None
    return span if token_in_prose(value) else None


def _word(m: re.Match[str]) -> Span | None:
    found = _quoted_or_bare(m)
    if found is None:
        return None
    span, value, _quoted = found
    if len(value) < 4 or is_mask_or_stopword(value) or value.lower() in _WEAK_KEYS:
        return None
    return span


def _value_group(m: re.Match[str]) -> Span | None:
    return m.span("v")


SPANS: dict[Value, SpanFn] = {
    Value.PASSWORD: _password,
    Value.PASSPHRASE: _passphrase,
    Value.TOKEN: _token,
    Value.CODE: _value_group,
    Value.WORD: _word,
    Value.GROUPS4: _value_group,
}
