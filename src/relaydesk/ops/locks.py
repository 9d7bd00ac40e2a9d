"""A session-level PostgreSQL advisory lock held on a connection of its own, for CLI steps
that must not run twice at once (seeding the demo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from relaydesk.db.urls import libpq_url


@contextmanager
def advisory_lock(database_url: str, key: int) -> Iterator[None]:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
