"""The compiled matcher: every rule from the tables, run over a text, overlaps resolved.

Compiled once at import. A rule runs only when one of its hints occurs in the lower-cased text,
so 100 KB of notes costs a few tens of milliseconds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any, TypeVar, cast

from relaydesk.metrics import count_redaction
from relaydesk.redaction.checks import Span, is_mask_or_stopword
from relaydesk.redaction.kinds import MARKER_RE, Finding, Redaction, SecretKind
from relaydesk.redaction.patterns import STRUCTURES, Rule
from relaydesk.redaction.rules import COMMANDS, PHRASES, TOKENS, Command, Token
from relaydesk.redaction.values import NOT_MARKER, QUOTED_VALUE, SPANS, bounded, keyed_pattern

_TOKEN_PRIORITY = 80
_COMMAND_PRIORITY = 64


def _token_rule(t: Token) -> Rule:
    hi = "" if t.hi is None else t.hi
    body = f"[{t.alphabet}]{{{t.lo},{hi}}}{t.then}"
    # Not glued to a longer word on the left; on the right, not cut out of a longer run.
    prefix = re.escape(t.prefix)
    # The literal first lets the regex engine skip ahead to it; the boundary is checked after.
    pattern = re.compile(rf"{prefix}(?<![A-Za-z0-9_-]{prefix}){body}(?![{t.alphabet}])")
    return Rule(t.name, t.kind, pattern, _TOKEN_PRIORITY, (t.prefix.lower(),), lambda m: m.span())


def _command_value(m: re.Match[str]) -> Span | None:
    for name in ("q", "q2", "q3"):
        if m.group(name):
            return m.span(name)
    value = m.group("v")
    if value is None or value.startswith("-") or is_mask_or_stopword(value) or value == "*":
        return None
    return m.span("v")


def _command_rule(c: Command) -> Rule:
    sep = {"glued": "", "space": r"[ \t]+", "either": r"(?:=|[ \t]+)?"}[c.sep]
    pattern = re.compile(
        rf"(?<![\w-])(?:{c.tools})(?![\w-])[^\n|;&]{{0,300}}?(?<=[ \t])(?:{c.flag}){sep}{NOT_MARKER}"
        rf"(?:{QUOTED_VALUE}|(?P<v>[^\s'\"]\S*))"
    )
    hints = tuple(sorted({w.lower() for w in re.findall(r"[a-z]{3,}", c.tools)})) or ()
    return Rule(c.name, SecretKind.PASSWORD, pattern, _COMMAND_PRIORITY, hints, _command_value)


RULES: tuple[Rule, ...] = (
    *STRUCTURES,
    *(_token_rule(t) for t in TOKENS),
    *(_command_rule(c) for c in COMMANDS),
    *(
        Rule(p.name, p.kind, keyed_pattern(p.keys, p.value), p.priority, p.hints, bounded(SPANS[p.value]))
        for p in PHRASES
    ),
)


def _windows(text: str, lowered: str, hints: tuple[str, ...]) -> list[tuple[int, int]]:
    """The lines that hold a hint, merged into (start, end) ranges."""
    found: list[tuple[int, int]] = []
    for hint in hints:
        i = lowered.find(hint)
        while i >= 0:
            start = text.rfind("\n", 0, i) + 1
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            found.append((start, end))
            i = lowered.find(hint, end)
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _candidates(text: str) -> Iterator[tuple[int, int, int, SecretKind]]:
    lowered = text.lower()
    cache: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    # Hints are looked up in the distinct words of the text, a fraction of its size; a hint
    # with a blank in it is looked up in the whole text.
    vocabulary = "\n".join(set(lowered.split()))
    present: dict[str, bool] = {}

    def has(hint: str) -> bool:
        if hint not in present:
            present[hint] = hint in (lowered if " " in hint else vocabulary)
        return present[hint]

    for rule in RULES:
        if rule.hints and not any(has(h) for h in rule.hints):
            continue
        if rule.multiline or not rule.hints:
            windows = [(0, len(text))]
        else:
            windows = cache.get(rule.hints) or cache.setdefault(
                rule.hints, _windows(text, lowered, rule.hints)
            )
        for pos, end in windows:
            # Lookbehinds still see the text before `pos`; the window ends at a line break.
            while (m := rule.pattern.search(text, pos, end)) is not None:
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
    markers = [m.span() for m in MARKER_RE.finditer(text)]
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
    for kind in set(kinds):  # the operator's view of what was caught (/metrics)
        count_redaction(kind.value, kinds.count(kind))
    return Redaction(text="".join(pieces), findings=findings)


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by a typed marker."""
    return redact_with_findings(text).text


def redact_optional(text: str | None) -> str | None:
    """`redact` for fields that may be absent."""
    return None if text is None else redact(text)


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
        if kind is not None and obj.strip() and not MARKER_RE.fullmatch(obj):
            return kind.marker
        return redact(obj)
    if isinstance(obj, dict):
        return {k: _walk(v, k if isinstance(k, str) else None) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, None) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_walk(v, None) for v in obj)
    return obj
