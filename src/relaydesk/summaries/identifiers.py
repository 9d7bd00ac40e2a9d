"""What identifies a person, a client or a machine, and how to say the same without it.

Text that comes from another session (a chip from its fix, a cause from its resolution) must not carry
that session's IP addresses, host and user names, emails, ticket numbers or client and contact names
into this session or to this client. `generalise` rewrites them into words that still read ("the
printer's IP address", "the server", "the user"); `identifies` says whether anything is left that
cannot be rewritten, and such text is dropped. Error codes, KB numbers, event ids and product names are
not identifiers: they are what makes a fix reusable, and they stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_IPV4 = r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?:/\d{1,2})?(?::\d+)?\b"
_DEVICE = (
    r"(printer|copier|scanner|server|router|switch|firewall|gateway|nas|camera|phone|host|pc|laptop|"
    r"desktop|workstation|access point|ap|dc|domain controller|dns server|machine)"
)
# "the printer at 10.0.0.5" names the printer; "the printer's IP 10.0.0.5" names its address.
_DEVICE_AT_IP = re.compile(rf"\b(?:the |its |their )?{_DEVICE}\s+(?:at|on)\s+{_IPV4}", re.I)
_DEVICE_IP = re.compile(
    rf"\b(?:the |its |their )?{_DEVICE}(?:'s)?\s*(?:ip(?: address)?\s*)(?:is |to |=|:)?\s*{_IPV4}", re.I
)
_IP_DEVICE = re.compile(rf"{_IPV4}\s*\((?:the )?{_DEVICE}\)", re.I)
_IP = re.compile(_IPV4)
_IPV6 = re.compile(r"\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b", re.I)
_MAC = re.compile(r"\b(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_UNC = re.compile(r"\\\\[\w.$-]+(?:\\[\w.$-]+)*")
_DOMAIN_USER = re.compile(r"\b[A-Z][A-Z0-9-]{1,14}\\[\w.-]+")
_URL = re.compile(r"\bhttps?://\S+", re.I)
_FQDN = re.compile(
    r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:local|lan|corp|internal|intra|home|domain|ad)\b", re.I
)
# Host names as MSPs write them: letters and digits in dash-joined groups with a digit (WS-ACC-04,
# FS01, DC2, SRV-SQL-02). Error codes (0x800CCC0E), KB numbers and event ids are left alone below.
_HOST = re.compile(
    r"(?<![\w.-])(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?![\w-])(?!\.\w)"
    r"|(?<![\w.-])(?!(?:linux|lib|python|kernel|xserver|gcc|php|perl|ruby|java|openjdk|mysql|postgresql)-)"
    r"[a-z]{2,}(?:-[a-z]+)*-\d{1,3}(?![\w-])(?!\.\w)"
    r"|(?<![\w.-])[A-Z]{2,6}\d{1,3}(?![\w-])(?!\.\w)"
)
_NOT_HOST = re.compile(
    r"^(?:KB\d+|0x[0-9a-f]+|[A-Z]{1,3}\d{3,}|(?:win|windows|office|server|sql|ipv|mp|h|x|wpa|utf|iso|tls|ssl|smb|ntlm|http|md|sha|e|usb|ddr|pci|ext|fat|win32|x86|x64|amd64|i386|arm64)[-\d.]*\w*)$",
    re.I,
)
_TICKET = re.compile(
    r"(?:\b(?:ticket|case|incident|req|request|sr|inc)\s*(?:no\.?|number|#)?\s*#?\d{3,}\b|#\d{3,}\b)", re.I
)
_PHONE = re.compile(
    r"(?<!\w)(?:\+?\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?(?!\w)"
)
_POSSESSIVE_NAME = re.compile(
    r"\b(?:on |for )?[A-Z][a-z]{2,}'s (?=(?:laptop|pc|desktop|computer|machine|mailbox|account|profile|phone|"
    r"workstation|printer|outlook|email|inbox)\b)"
)
_USER_EQ = re.compile(r"\b(?:user(?:name)?|login|account|upn)\s*[:=]\s*\S+", re.I)
_SPACES = re.compile(r"\s{2,}")


def generalise(text: str, clients: Iterable[str] = (), people: Iterable[str] = ()) -> str:
    """`text` with the identifiers of another session replaced by general words; `clients` are that
    session's client names, `people` its contact's (and anyone else's known to it) names."""
    out = _EMAIL.sub("the user's email address", text)
    for name in _names(people):
        out = re.sub(rf"\b{re.escape(name)}'s\b", "the user's", out, flags=re.I)
        out = re.sub(rf"\b{re.escape(name)}\b", "the user", out, flags=re.I)
    for name in _names(clients):
        out = re.sub(rf"\b{re.escape(name)}'s\b", "the client's", out, flags=re.I)
        out = re.sub(rf"\b{re.escape(name)}\b", "the client", out, flags=re.I)
    out = _URL.sub("the vendor's page", out)
    out = _UNC.sub("the shared folder", out)
    out = _DOMAIN_USER.sub("the user's account", out)
    out = _USER_EQ.sub("the user's account", out)
    out = _DEVICE_AT_IP.sub(lambda m: f"the {m.group(1).lower()}", out)
    out = _DEVICE_IP.sub(lambda m: f"the {m.group(1).lower()}'s IP address", out)
    out = _IP_DEVICE.sub(lambda m: f"the {m.group(1).lower()}'s IP address", out)
    out = _IP.sub("the device's IP address", out)
    out = _IPV6.sub("the device's IP address", out)
    out = _MAC.sub("the device's MAC address", out)
    out = _FQDN.sub("the server", out)
    out = _HOST.sub(lambda m: m.group(0) if _NOT_HOST.match(m.group(0)) else "the machine", out)
    out = _TICKET.sub("", out)
    out = _PHONE.sub("", out)
    out = _POSSESSIVE_NAME.sub("the user's ", out)
    out = re.sub(r"\bthe (?:the )+", "the ", out, flags=re.I)
    out = re.sub(r"\s+([,.;:)])", r"\1", out)
    return _SPACES.sub(" ", out).strip(" ,;:-")


def _names(names: Iterable[str]) -> list[str]:
    """Whole names and their parts (a first name alone names the person too), longest first."""
    out: set[str] = set()
    for name in names:
        name = " ".join((name or "").split())
        if len(name) >= 3:
            out.add(name)
            out.update(part for part in name.split(" ") if len(part) >= 3 and part[:1].isupper())
    return sorted(out, key=len, reverse=True)


def found_identifiers(text: str, names: Iterable[str] = ()) -> list[str]:
    """The identifiers in `text` (the quality benchmark counts them)."""
    found: list[str] = []
    for pattern in (_EMAIL, _UNC, _DOMAIN_USER, _IP, _IPV6, _MAC, _FQDN, _TICKET):
        found += [m.group(0) for m in pattern.finditer(text)]
    found += [m.group(0) for m in _HOST.finditer(text) if not _NOT_HOST.match(m.group(0))]
    lowered = text.lower()
    found += [n for n in _names(names) if re.search(rf"\b{re.escape(n.lower())}\b", lowered)]
    return found
