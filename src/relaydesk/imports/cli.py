"""`relaydesk import ...`: bring resolved history into an account from a file.

The sub-app is mounted by relaydesk.cli; it imports nothing from it (that would be a cycle), so the few
lines that find the database are repeated here.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.db.embedded import start_embedded
from relaydesk.db.migrate import upgrade
from relaydesk.db.uow import Database
from relaydesk.errors import RelaydeskError
from relaydesk.imports import service
from relaydesk.imports.jobs import lister_for
from relaydesk.imports.parse import FormatError, detect_format, open_text, read_records
from relaydesk.imports.psa import import_psa
from relaydesk.imports.records import ImportReport
from relaydesk.integrations import service as integrations
from relaydesk.outbound import outbound_client
from relaydesk.outbound.outcome import DeliveryFailed
from relaydesk.settings import get_settings

import_app = typer.Typer(no_args_is_help=True, help="Import resolved history (files, PSA).")

HISTORY_HELP = """Import resolved tickets from a CSV or JSON Lines FILE as resolved sessions.

Columns (CSV header) or keys (JSON Lines): problem, resolution, ticket_id (required); steps, notes,
client, category, closed_at (ISO 8601; naive times are UTC), technician (optional).

steps / notes: one step per non-empty line ("action => result" gives a result; a leading [fixed],
[failed], [partial] or [info] sets the outcome); in JSON Lines also a list of strings or of objects
{"action", "result", "outcome", "at"} (`at`: when it was done, ISO 8601; without it a step is
timed from the close). Importing the same source and ticket_id again skips it.
"""


def _database_url() -> str:
    settings = get_settings()
    url = settings.database_url or start_embedded(settings.data_dir)
    upgrade(url)
    return url


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _human(report: ImportReport) -> str:
    verb = "would import" if report.dry_run else "imported"
    lines = [
        f"{verb} {report.imported}, skipped {report.skipped} already imported, {report.error_count} errors"
    ]
    lines += [f"  row {e.row}: {e.reason}" for e in report.errors[:50]]
    if report.error_count > 50:
        lines.append(f"  ... and {report.error_count - 50} more (use --json for the list)")
    return "\n".join(lines)


async def _import_file(
    url: str,
    account: str,
    raw: IO[bytes],
    text: IO[str],
    fmt: str,
    source: str,
    dry_run: bool,
    total: int | None,
) -> ImportReport:
    db = Database(url, pool_size=1)
    try:
        async with db.uow() as uow:
            account_id = await accounts.find_account_id(uow, account)
        if account_id is None:
            raise RelaydeskError(f"No account with id or name {account!r}.")
        records = read_records(text, "csv" if fmt == "csv" else "jsonl")
        if total is None:
            return await service.import_records(db, account_id, records, source=source, dry_run=dry_run)
        columns = (TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task("import", total=total)
            return await service.import_records(
                db,
                account_id,
                records,
                source=source,
                dry_run=dry_run,
                on_progress=lambda _report: progress.update(task, completed=raw.tell()),
            )
    finally:
        await db.dispose()


@import_app.command("history", help=HISTORY_HELP)
def history(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    account: Annotated[str, typer.Option(help="Account id or exact name.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the name).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Where the tickets came from (default: the format); part of the duplicate key."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
) -> None:
    try:
        kind = detect_format(file, fmt)
    except FormatError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable
    url = _database_url()
    raw, text = open_text(file)
    try:
        report = asyncio.run(
            _import_file(
                url,
                account,
                raw,
                text,
                kind,
                source or kind,
                dry_run,
                total=None if as_json or not sys.stderr.isatty() else file.stat().st_size,
            )
        )
    except FormatError as exc:
        _fail(str(exc), code=2)
        raise
    except UnicodeDecodeError:
        _fail("The file is not UTF-8 text; save it as UTF-8 CSV or JSON Lines.", code=2)
        raise
    except RelaydeskError as exc:
        _fail(exc.detail)
        raise
    finally:
        text.close()
    if as_json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json")) + "\n")
    else:
        typer.echo(_human(report))
    if report.error_count and not report.imported and not report.skipped:
        raise typer.Exit(1)


__all__ = ["import_app"]


async def _import_psa(
    url: str, secret_key: str, account: str, months: int, bar: bool, *, allow_hosts: str
) -> ImportReport:
    db = Database(url, pool_size=1)
    try:
        async with db.uow() as uow:
            account_id = await accounts.find_account_id(uow, account)
            if account_id is None:
                raise RelaydeskError(f"No account with id or name {account!r}.")
            await uow.set_account(account_id)
            # Whoever runs the CLI holds the database credentials: they act as the account's owner.
            actor = Actor(uuid.UUID(int=0), account_id, "owner", "relaydesk CLI", "", via="system")
            access = await integrations.psa_access(uow, actor, secret_key=secret_key)
        # The PSA's URLs are the account's own settings: checked like every outbound call (invariant 9).
        async with outbound_client(allow_hosts, timeout=30) as http:
            lister = lister_for(access.kind, access.config, http)
            if not bar:
                return await import_psa(db, account_id, lister, months=months)
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), console=Console(stderr=True)
            ) as progress:
                task = progress.add_task(f"importing from {access.kind}", total=None)

                def shown(report: ImportReport) -> None:
                    progress.update(
                        task, description=f"{report.imported} imported, {report.skipped} already there"
                    )

                return await import_psa(db, account_id, lister, months=months, on_page=shown)
    finally:
        await db.dispose()


@import_app.command("psa")
def psa(
    account: Annotated[str, typer.Option(help="Account id or exact name.")],
    months: Annotated[int, typer.Option(min=1, max=120, help="Closed in the last N months.")] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
) -> None:
    """Import closed tickets (notes and resolution) from the account's PSA integration; stopping and
    running it again continues where it was, and never imports a ticket twice."""
    url = _database_url()
    try:
        report = asyncio.run(
            _import_psa(
                url,
                get_settings().resolved_secret_key(),
                account,
                months,
                not as_json and sys.stderr.isatty(),
                allow_hosts=get_settings().outbound_allow_hosts,
            )
        )
    except DeliveryFailed as exc:
        _fail(f"{exc.message}. Run it again to continue where it stopped.")
        raise
    except RelaydeskError as exc:
        _fail(exc.detail)
        raise
    if as_json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json")) + "\n")
    else:
        typer.echo(_human(report))
