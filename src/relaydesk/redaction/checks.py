"""Checks on a candidate value after its pattern matched: does it look like the secret it claims?

Patterns find where a secret could be; these predicates decide, so that "the password is correct"
or "error code 43" survive. Each returns the span to replace, or None to reject the match.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int]
SpanFn = Callable[[re.Match[str]], Span | None]

# Trailing characters that end a sentence rather than a password ("pw is Summer24.").
TRAILING = ".,;:)]}>\"'?"

# Values after "password:" that describe the password instead of being one.
STOPWORDS = frozenset(
    """reset expired expires changed change required none n/a na null nil unknown blank empty see
    same set unset not no yes never policy manager prompt prompted redacted hidden removed invalid
    failed missing revoked locked true false ok tbd in on at the a an is was to from with via and or
    for of it its this that stored saved vault keeper correct incorrect wrong working works fine
    rotated configured enabled disabled updated needed string strings field value entry user users
    account accounts group groups local domain standard admin here there below above attached
    complexity requirements length history sync prompts app reinstalled refresh""".split()
)
_MASK_RE = re.compile(r"[*•xX#.]+")
# Shapes that follow "password is/to …" in notes but are not passwords.
_NOT_SECRET_SHAPE_RE = re.compile(
    r"""
    \d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?      # dates
    | \d{1,2}:\d{2}(?::\d{2})?(?:am|pm)?        # times
    | \d{1,2}(?:am|pm)                          # 3pm
    | v?\d+(?:\.\d+)+                           # versions, IPv4
    | [\w.+-]+@[\w-]+\.[\w.-]+                  # e-mail addresses
    | (?:https?://|\\\\|[A-Za-z]:\\|/)\S*       # URLs and paths
    | 0x[0-9a-f]+ | kb\d+                       # error codes, KB numbers
    | [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
    | \d+(?:s|ms|min|mins|h|hrs|days|gb|mb|tb|kb|chars|%)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_mask_or_stopword(value: str) -> bool:
    # "[REDACTED]", "<password>", "{{secret}}": a placeholder someone already put there.
    if value.startswith(("[", "<", "{{", "$(", "${", "%")):
        return True
    return value.lower() in STOPWORDS or bool(_MASK_RE.fullmatch(value))


def looks_like_password(value: str, *, strict: bool) -> bool:
    """Prose heuristic: digits or an inner symbol. `strict` (no separator at all) asks for more."""
    if len(value) < (6 if strict else 4) or is_mask_or_stopword(value):
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


def looks_like_token(value: str) -> bool:
    """Keys and tokens are long and not a plain lower-case word ("token: expired")."""
    if len(value) < 8 or is_mask_or_stopword(value):
        return False
    return not re.fullmatch(r"[a-z]+", value)


def token_in_prose(value: str) -> bool:
    """Without ':' or '=' a token must look generated: long, letters and digits."""
    if len(value) < 16 or _NOT_SECRET_SHAPE_RE.fullmatch(value):
        return False
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def mixed_base64(value: str) -> bool:
    return any(c.isupper() for c in value) and any(c.islower() for c in value)


def letters_and_digits(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def card_brand_ok(d: str) -> bool:
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


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Words just before a number that make it a reference, not a card ("case 2404110040001234").
_REFERENCE_BEFORE_RE = re.compile(
    r"(?:case|sr|request|tracking ?id|ticket|incident|order|ref|reference|invoice|po|rma|"
    r"confirmation|serial|s/n|imei|iccid|meid|id|no\.?|number)[\s#:.=-]*$",
    re.IGNORECASE,
)
_CARD_WORDS_RE = re.compile(r"card|visa|master|amex|discover|cc\b|credit|debit|pan\b", re.IGNORECASE)
_DATE_PREFIX_RE = re.compile(r"(?:1[5-9]|2\d|3[0-5])(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def card_span(m: re.Match[str]) -> Span | None:
    text = m.group()
    digits = re.sub(r"\D", "", text)
    if not 13 <= len(digits) <= 19 or not card_brand_ok(digits) or not luhn_ok(digits):
        return None
    before = m.string[max(0, m.start() - 40) : m.start()]
    if _REFERENCE_BEFORE_RE.search(before):
        return None
    # Microsoft case numbers are 16 digits that open with the date (YYMMDD); a card written
    # like that is only taken when a card word is near.
    if digits == text and _DATE_PREFIX_RE.match(digits) and not _CARD_WORDS_RE.search(before):
        return None
    return m.span()


def whole(m: re.Match[str]) -> Span | None:
    return m.span()


def whole_if(accept: Callable[[str], bool]) -> SpanFn:
    def span(m: re.Match[str]) -> Span | None:
        return m.span() if accept(m.group()) else None

    return span


def group(name: str, accept: Callable[[str], bool] | None = None) -> SpanFn:
    def span(m: re.Match[str]) -> Span | None:
        value = m.group(name)
        if value is None or (accept is not None and not accept(value)):
            return None
        return m.span(name)

    return span


def first_group(*names: str) -> SpanFn:
    def span(m: re.Match[str]) -> Span | None:
        return next((m.span(g) for g in names if m.group(g)), None)

    return span
