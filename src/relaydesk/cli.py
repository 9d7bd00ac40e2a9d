"""The relaydesk command: serve, demo, migrate, and account/user/token administration."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import RelaydeskError
from relaydesk.imports.cli import import_app
from relaydesk.settings import Settings, get_settings

app = typer.Typer(no_args_is_help=True, help="Relaydesk: escalation handoffs for IT support teams.")
account_app = typer.Typer(no_args_is_help=True, help="Manage accounts.")
user_app = typer.Typer(no_args_is_help=True, help="Manage users.")
token_app = typer.Typer(no_args_is_help=True, help="Manage API tokens.")
app.add_typer(account_app, name="account")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
report_app = typer.Typer(no_args_is_help=True, help="Reports for people who live in the terminal.")
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")

T = TypeVar("T")
DEMO_SEED_LOCK = 7_274_001  # pg_advisory_lock key: one demo seeds at a time
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")]


def resolved_settings() -> Settings:
    """Settings with a database URL: the configured one, or the embedded server's (started or
    joined; this process leaves it at exit, by a signal too, and the last one out stops it)."""
    settings = get_settings()
    if settings.database_url:
        return settings
    from relaydesk.db.embedded import exit_on_signal, start_embedded

    exit_on_signal()
    return settings.model_copy(update={"database_url": start_embedded(settings.data_dir)})


def _migrate(settings: Settings) -> None:
    from relaydesk.db.migrate import upgrade

    assert settings.database_url
    upgrade(settings.database_url)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database (migrated first, so a fresh
    database works); domain errors become messages."""
    settings = resolved_settings()
    _migrate(settings)

    async def main() -> T:
        assert settings.database_url
        db = Database(settings.database_url, pool_size=1)
        try:
            async with db.uow() as uow:
                return await work(uow)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except RelaydeskError as exc:
        _fail(exc.detail)
        raise  # unreachable: _fail exits


def _emit(as_json: bool, obj: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
    else:
        typer.echo(human)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _migrate(resolved_settings())
    typer.echo("database is up to date")


def _serve(settings: Settings, *, log_level: str, mailbox: Any = None) -> None:
    """uvicorn until SIGTERM/SIGINT, then a graceful shutdown (ops/serving.py); the embedded
    PostgreSQL, if this process started it, is kept up meanwhile and left at the end."""
    from relaydesk.app import create_app
    from relaydesk.db import embedded
    from relaydesk.ops import logs, serving

    logs.configure(settings.log_format)
    server = embedded.current()
    application = create_app(settings, embedded=server, mailbox=mailbox)
    serving.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        grace_seconds=settings.shutdown_grace_seconds,
        # X-Forwarded-For is read by the app, only from RELAYDESK_TRUSTED_PROXIES (web/clientip).
        proxy_headers=False,
        log_config=None,
    )
    if server is not None:
        server.release()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web server (migrates first). SIGTERM or SIGINT stops it gracefully."""
    settings = resolved_settings()
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    _migrate(settings)
    _serve(settings, log_level="info")


@app.command()
def worker() -> None:
    """Run the job worker alone (summaries, deliveries, reminders); start any number of them.

    SIGTERM or SIGINT: no new jobs; the ones under way get RELAYDESK_SHUTDOWN_GRACE_SECONDS to finish,
    then what is left gives its lease back so another worker resumes it at once."""
    import signal

    from relaydesk.db import embedded
    from relaydesk.deliveries.email_switch import EMAIL_ON
    from relaydesk.ops import logs
    from relaydesk.worker import Worker, default_queues

    settings = resolved_settings()
    _migrate(settings)
    assert settings.database_url
    logs.configure(settings.log_format)

    async def main() -> None:
        EMAIL_ON.set(bool(settings.smtp_url))  # reminders make email only with SMTP set up
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        db = Database(settings.database_url or "", pool_size=4)
        try:
            await Worker(
                db,
                default_queues(settings),
                poll_seconds=settings.worker_poll_seconds,
                grace_seconds=settings.shutdown_grace_seconds,
            ).run_until(stop)
        finally:
            await db.dispose()

    typer.echo("worker running; SIGTERM or Ctrl+C stops it gracefully")
    asyncio.run(main())
    server = embedded.current()
    if server is not None:
        server.release()


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Drop the demo account and seed it again.")] = False,
) -> None:
    """Migrate, seed a demo account (once), print the logins and serve."""
    from relaydesk.demo import DEMO_PASSWORD, seed
    from relaydesk.ops.locks import advisory_lock

    # Importing the app (the model SDKs behind it) takes seconds of CPU; do it while PostgreSQL
    # starts, migrates and seeds, which is mostly waiting on another process.
    app_module = ThreadPoolExecutor(1).submit(importlib.import_module, "relaydesk.app")
    settings = resolved_settings()
    settings = settings.model_copy(update={"port": port or settings.port})
    _migrate(settings)
    assert settings.database_url
    # Two demos on one fresh data directory: the second waits here, then finds the account seeded.
    with advisory_lock(settings.database_url, DEMO_SEED_LOCK):
        logins = asyncio.run(seed(settings.database_url, reset=reset))
    mailbox = None
    if not settings.smtp_url:  # email goes to the demo's own mailbox, read at /mailbox
        from relaydesk.mailbox.server import Mailbox

        mailbox = Mailbox().start()
        settings = settings.model_copy(update={"smtp_url": mailbox.smtp_url})
    url = settings.base_url()
    typer.echo(f"\nRelaydesk demo at {url}/login\n")
    for role, email in logins:
        typer.echo(f"  {role:<18} {email:<28} password: {DEMO_PASSWORD}")
    if mailbox is not None:
        typer.echo(f"\n  Email the demo sends lands in its own mailbox: {url}/mailbox")
    typer.echo("")
    app_module.result()  # the import started above has finished before serve imports it again
    _serve(settings, log_level="warning", mailbox=mailbox)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (a pg_dump archive).")],
) -> None:
    """Back up the embedded database (pg_dump) and name the secret key needed to restore it."""
    from relaydesk.ops import backup as backups

    settings = resolved_settings()
    assert settings.database_url
    try:
        note = backups.dump(settings, file)
    except backups.BackupError as exc:
        _fail(str(exc))
    typer.echo(note)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `relaydesk backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the current data without asking.")] = False,
) -> None:
    """Replace the database with a backup (pg_restore --clean); stop serve and workers first."""
    from relaydesk.ops import backup as backups

    settings = resolved_settings()
    assert settings.database_url
    if not yes:
        typer.confirm("This replaces every account's data with the backup. Go on?", abort=True)
    _migrate(settings)  # the roles and grants the dump refers to exist from the first migration
    try:
        note = backups.load(settings, file)
    except backups.BackupError as exc:
        _fail(str(exc))
    typer.echo(note)


@account_app.command("create")
def account_create(name: str, as_json: JsonOpt = False) -> None:
    """Create an account (a tenant: one MSP or IT department)."""
    account = _run(lambda uow: accounts.create_account(uow, name))
    _emit(
        as_json,
        {"id": str(account.id), "name": account.name, "created_at": account.created_at.isoformat()},
        f"created account {account.name} ({account.id})",
    )


@user_app.command("add")
def user_add(
    account: Annotated[str, typer.Option(help="Account id or exact name.")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="owner, admin, engineer or viewer.")],
    password: Annotated[str | None, typer.Option(help="Leave out for a user who signs in later.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user to an account."""

    async def work(uow: UnitOfWork) -> Any:
        account_id = await accounts.find_account_id(uow, account)
        if account_id is None:
            raise RelaydeskError(f"No account with id or name {account!r}.")
        await uow.set_account(account_id)
        return await accounts.add_user(uow, account_id, email=email, name=name, role=role, password=password)

    user = _run(work)
    _emit(
        as_json,
        {
            "id": str(user.id),
            "account_id": str(user.account_id),
            "email": user.email,
            "name": user.name,
            "role": user.role,
        },
        f"added {user.role} {user.name} <{user.email}> ({user.id})",
    )


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "CLI token",
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; the secret is printed once."""

    async def work(uow: UnitOfWork) -> Any:
        user = await accounts.find_user_by_email(uow, email)
        if user is None:
            raise RelaydeskError(f"No user with the email {email}.")
        return await accounts.issue_api_token(uow, user, label=label)

    secret, api_token = _run(work)
    _emit(
        as_json,
        {
            "id": str(api_token.id),
            "user_id": str(api_token.user_id),
            "label": api_token.label,
            "prefix": api_token.prefix,
            "token": secret,
        },
        f"token {api_token.label} ({api_token.id}):\n{secret}\nIt will not be shown again.",
    )


@report_app.command("escalations")
def report_escalations(
    account: Annotated[str, typer.Option(help="Account id or exact name.")],
    period: Annotated[str | None, typer.Option(help="7d, 30d or 90d (default 30d).")] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (UTC), inclusive.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (UTC), inclusive.")
    ] = None,
    escalator: Annotated[str | None, typer.Option(help="Only escalations raised by this user id.")] = None,
    claimer: Annotated[str | None, typer.Option(help="Only escalations claimed by this user id.")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    client: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Time to pickup, time to first action and conversion: the figures of the analytics page."""
    from pydantic import ValidationError

    from relaydesk.accounts.actor import Actor
    from relaydesk.analytics import service as analytics
    from relaydesk.analytics.formatting import report_text
    from relaydesk.analytics.schemas import ReportFilters

    try:
        filters = ReportFilters.model_validate(
            {"escalator": escalator, "claimer": claimer, "category": category, "client": client}
        )
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), code=2)
        raise  # unreachable: _fail exits

    async def work(uow: UnitOfWork) -> Any:
        account_id = await accounts.find_account_id(uow, account)
        if account_id is None:
            raise RelaydeskError(f"No account with id or name {account!r}.")
        await uow.set_account(account_id)
        # Whoever runs the CLI holds the database credentials: they read as the account's owner.
        actor = Actor(uuid.UUID(int=0), account_id, "owner", "relaydesk CLI", "", via="system")
        return await analytics.escalation_report(
            uow,
            actor,
            period=period,
            start=start.date() if start else None,
            end=end.date() if end else None,
            filters=filters,
        )

    report = _run(work)
    _emit(as_json, report.model_dump(mode="json"), report_text(report))


if __name__ == "__main__":
    app()
