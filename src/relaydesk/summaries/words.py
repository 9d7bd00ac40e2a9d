"""Words and sentences: the small text tools every part of the offline engine shares.

`terms` tells whether two short texts say the same; `clip` shortens at a clause or a word without ever
leaving an ellipsis in text someone will send or click; the rest join and case phrases for the write-ups.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence

_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a about after again all also an and any are as at be been before being but by can could did do
    does done for from get got had has have he her his how i if in into is it its just me more my no not
    now of on once only or our out over she so some still than that the their them then there these they
    this those to too up us was we were what when where which while who why will with would you your
    user users client tried try trying again same""".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


@functools.lru_cache(maxsize=8192)
def terms(text: str | None) -> frozenset[str]:
    """Content words of a text, crudely stemmed: enough to tell whether two short texts say the same."""
    return frozenset(_stem(w) for w in _WORD.findall((text or "").lower()) if w not in STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def shorten(text: str | None, limit: int) -> str:
    """One line, at most `limit` characters, cut at a word with an ellipsis (for screens, not write-ups)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return (cut or text[: limit - 1]) + "…"


_CLAUSE_END = re.compile(r"[.;!?](?=\s)|,(?=\s)| - | — |\s\((?=[^)]*$)")


def clip(text: str | None, limit: int) -> str:
    """One line of at most `limit` characters that ends where a phrase ends: the first sentences or
    clauses that fit, else the words that fit, with no ellipsis. '' when not even a word fits."""
    text = " ".join((text or "").split()).strip()
    if len(text) <= limit:
        return text
    best = ""
    for match in _CLAUSE_END.finditer(text):
        if match.start() > limit:
            break
        best = text[: match.start()]
    if len(best) >= limit * 0.4:
        return best.rstrip(" ,;:-(")
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else ""
    # Never end on a word that leaves the phrase hanging.
    words = cut.split()
    while words and words[-1].lower().strip(",;:") in _HANGING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-(")


_HANGING = frozenset(
    "a an the and or but of to in on at for with from by into via as is are was were be if then than that "
    "which who when while after before so not no its their his her our your my".split()
)


def sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    # Keep acronyms and names ("VPN", "Outlook", "SaRA") as typed.
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (
        any(c.isupper() for c in first[1:]) or not first.replace("-", "").replace("'", "").isalpha()
    ):
        return text
    if first in _PROPER:
        return text
    return text[:1].lower() + text[1:]


# Product names that start a phrase and keep their capital.
_PROPER = frozenset(
    "Outlook Windows Office Teams SharePoint OneDrive Exchange Excel Word Chrome Edge Firefox Ubuntu Linux "
    "Azure Entra Intune Microsoft Google Apple Mac QuickBooks Sage Adobe Acrobat Zoom Slack Dell HP Lenovo "
    "Cisco Fortinet FortiClient Meraki Sophos Veeam Synology Dropbox Gmail Safari Android iPhone iOS "
    "Xorg GRUB Grub Nvidia NVIDIA Firefox Thunderbird Skype Java Python Apache Samba Wine GNOME KDE".split()
)


def join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def fingerprint(text: str) -> str:
    """A short, stable digest of a text (which ticket note a cached variant was made from)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]
