"""The relaydesk command: serve, demo, migrate, and account/user/token administration."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer

from relaydesk.accounts import service as accounts
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import RelaydeskError
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

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")]


def resolved_settings() -> Settings:
    """Settings with a database URL: the configured one, or the embedded server's."""
    settings = get_settings()
    if settings.database_url:
        return settings
    from relaydesk.db.embedded import start_embedded

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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web server (migrates first)."""
    import uvicorn

    from relaydesk.app import create_app

    settings = resolved_settings()
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    _migrate(settings)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", proxy_headers=False
    )


@app.command()
def worker() -> None:
    """Run the job worker alone (summaries, deliveries, reminders); start any number of them."""
    from relaydesk.worker import Worker, default_queues

    settings = resolved_settings()
    _migrate(settings)
    assert settings.database_url

    async def main() -> None:
        db = Database(settings.database_url or "", pool_size=4)
        try:
            await Worker(db, default_queues(settings), poll_seconds=settings.worker_poll_seconds).run()
        finally:
            await db.dispose()

    typer.echo("worker running; Ctrl+C stops it")
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


@app.command()
def demo(port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None) -> None:
    """Migrate, seed a demo account (once), print the logins and serve."""
    import uvicorn

    from relaydesk.app import create_app
    from relaydesk.demo import DEMO_PASSWORD, seed

    settings = resolved_settings()
    settings = settings.model_copy(update={"port": port or settings.port})
    _migrate(settings)
    assert settings.database_url
    logins = asyncio.run(seed(settings.database_url))
    url = settings.base_url()
    typer.echo(f"\nRelaydesk demo at {url}/login\n")
    for role, email in logins:
        typer.echo(f"  {role:<16} {email:<28} password: {DEMO_PASSWORD}")
    typer.echo("")
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", proxy_headers=False
    )


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
