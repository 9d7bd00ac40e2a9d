"""Random secrets for cookies and API tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "rd_"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    # The secrets are 256 random bits, so a fast hash is enough; no salt or KDF needed.
    return hashlib.sha256(secret.encode()).hexdigest()
