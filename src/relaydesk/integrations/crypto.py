"""Integration credentials encrypted at rest (invariant 7).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF-SHA256 from
`settings.resolved_secret_key()` (RELAYDESK_SECRET_KEY, or the key generated into the data
directory). The derivation is labelled, so the same secret key can serve other purposes
without the keys being related. Changing RELAYDESK_SECRET_KEY makes stored credentials
unreadable: they must be entered again (the error says so).
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"relaydesk integration secrets v1"


class SecretsUnreadable(ValueError):
    """The stored token does not open with the current key."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, values: dict[str, str]) -> str:
    return _fernet(secret_key).encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")


def unseal(secret_key: str, token: str) -> dict[str, str]:
    try:
        opened = _fernet(secret_key).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        raise SecretsUnreadable(
            "The stored credentials cannot be decrypted with the current RELAYDESK_SECRET_KEY; "
            "enter them again in Settings → Integrations"
        ) from None
    values = json.loads(opened)
    return {str(k): str(v) for k, v in values.items()}


def hint(value: str) -> str:
    """What may be shown of a secret: its kind of shape and, when long enough, the last 4 characters."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        scheme, _, rest = value.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        return f"{scheme}://{host}/…" + (value[-4:] if len(value) - len(scheme) - len(host) > 24 else "")
    if len(value) >= 12:
        return "••••" + value[-4:]
    return "••••"
