"""What an imported step's time must be: the time its vendor note was written (issue 16)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import psycopg


def assert_steps_carry_note_times(
    admin_conn: psycopg.Connection, account_id: uuid.UUID, notes: Iterable[tuple[str, str]]
) -> None:
    """Every imported step is a vendor note (text, ISO time) and carries that note's time."""
    written = {(text, datetime.fromisoformat(at.replace("Z", "+00:00"))) for text, at in notes}
    rows = admin_conn.execute(
        "SELECT action, created_at FROM steps WHERE account_id = %s", (account_id,)
    ).fetchall()
    assert rows, "nothing was imported"
    assert {(action, at) for action, at in rows} <= written, (sorted(rows)[:3], sorted(written)[:3])
