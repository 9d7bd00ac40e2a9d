"""Fixtures for attachments: the cookie clients of tests/handoffs and the browser of tests/web, reused."""

from __future__ import annotations

from tests.handoffs.conftest import sign_in  # noqa: F401  (fixtures, shared rather than copied)
from tests.web.conftest import browser, live_server  # noqa: F401
