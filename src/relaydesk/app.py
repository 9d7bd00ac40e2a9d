"""create_app(): the FastAPI application, its routers and its lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import psycopg
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc

from relaydesk import __version__
from relaydesk.accounts.api import router as accounts_api
from relaydesk.analytics.api import router as analytics_api
from relaydesk.attachments.api import MULTIPART_SLACK, UPLOAD_PATHS
from relaydesk.attachments.api import router as attachments_api
from relaydesk.attachments.schemas import size_text
from relaydesk.db.embedded import EmbeddedPostgres
from relaydesk.db.uow import Database
from relaydesk.deliveries.api import router as deliveries_api
from relaydesk.deliveries.email_switch import EMAIL_ON
from relaydesk.feedback import service as feedback
from relaydesk.feedback.api import router as feedback_api
from relaydesk.handoffs import findings
from relaydesk.handoffs.api import router as handoffs_api
from relaydesk.integrations.api import router as integrations_api
from relaydesk.live.api import router as live_api
from relaydesk.live.listener import live_feed
from relaydesk.mailbox.pages import router as mailbox_pages
from relaydesk.mailbox.server import Mailbox
from relaydesk.notifications.api import router as notifications_api
from relaydesk.ops.context import RequestContext
from relaydesk.ops.health import router as ops_api
from relaydesk.ops.outage import OUTAGE, RETRY_AFTER_SECONDS, is_connection_error
from relaydesk.sessions import hooks as step_hooks
from relaydesk.sessions import service as sessions
from relaydesk.sessions.api import router as sessions_api
from relaydesk.settings import Settings, get_settings
from relaydesk.summaries import refresh
from relaydesk.summaries.api import router as summaries_api
from relaydesk.web import problems
from relaydesk.web.headers import SecurityHeaders
from relaydesk.web.nul import reject_nul
from relaydesk.web.pages import WORKSPACE
from relaydesk.web.pages import router as pages
from relaydesk.web.templating import STATIC_DIR, render
from relaydesk.worker import worker_in_app

# Long-running companions of a serving process (the NOTIFY listener, the worker): each is
# an async context manager factory taking the app, entered at startup and left at shutdown.
Background = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


async def _render_page_error(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str] | None
) -> Response:
    if status == 303 and headers and "Location" in headers:
        return RedirectResponse(headers["Location"], status_code=303)
    response = render(request, "error.html", status_code=status, title=title, detail=detail)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


async def _database_lost(request: Request, exc: Exception) -> Response:
    """503 with Retry-After while the database cannot be reached: one log line per outage, no traceback."""
    if not is_connection_error(exc):
        return await problems.unexpected_error(request, exc, _render_page_error)
    OUTAGE.failed(exc)
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    detail = "The database is not reachable right now; nothing was saved. Try again in a few seconds."
    if problems.is_api(request):
        return problems.problem(503, "Database unavailable", detail, headers=retry)
    response = render(request, "reconnecting.html", status_code=503, retry_after=RETRY_AFTER_SECONDS)
    response.headers.update(retry)
    return response


class _EmailSwitch:
    """Requests of this app create email deliveries only when it has an SMTP server (email_switch.py)."""

    def __init__(self, app: Any, *, on: bool) -> None:
        self.app = app
        self.on = on

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = EMAIL_ON.set(self.on)
        try:
            await self.app(scope, receive, send)
        finally:
            EMAIL_ON.reset(token)


@asynccontextmanager
async def _supervise(app: FastAPI, embedded: EmbeddedPostgres | None) -> AsyncIterator[None]:
    """Watch the database: close outages when it answers again, and restart the embedded server
    when it died (checked twice a second: restarted within a second, serving again once PostgreSQL
    has finished its crash recovery, a few seconds)."""

    async def restart_embedded() -> None:
        assert embedded is not None
        while True:
            await asyncio.sleep(0.5)
            try:
                await asyncio.to_thread(embedded.ensure_running)
            except Exception as exc:  # tried again in a second; one line, not a traceback
                OUTAGE.failed(exc)

    tasks = [asyncio.create_task(OUTAGE.watch(app.state.db.engine), name="relaydesk-db-watch")]
    if embedded is not None:
        tasks.append(asyncio.create_task(restart_embedded(), name="relaydesk-embedded-supervisor"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def create_app(
    settings: Settings | None = None,
    *,
    background: list[Background] | None = None,
    embedded: EmbeddedPostgres | None = None,
    mailbox: Mailbox | None = None,
) -> FastAPI:
    """The application. `background` defaults to the job worker (unless settings.run_worker is off);
    tests pass their own list to control what runs. `embedded`: the embedded PostgreSQL to keep up.
    `mailbox`: the demo's local mailbox, readable at /mailbox."""
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError(
            "create_app needs settings.database_url; the CLI starts the embedded database first."
        )
    # At resolve, an escalation whose claimer never answered gets an inferred verdict.
    sessions.on_resolve(feedback.infer_at_resolve)
    # A finding or a correction: the escalation's story first, then its assessment (sessions/hooks.py).
    step_hooks.on_step_change("handoffs.story", findings.keep_story)
    step_hooks.on_step_change("summaries.refresh", refresh.refresher(settings.summary_refresh_seconds))

    if background is None:
        background = [worker_in_app] if settings.run_worker else []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(_supervise(app, embedded))
            # Not a `background` companion: /api/v1/live needs it in every serving app, tests' too.
            await stack.enter_async_context(live_feed(app))
            for companion in background:
                await stack.enter_async_context(companion(app))
            yield
            begin_shutdown()  # also when the lifespan ends without a signal (tests)
        await app.state.db.dispose()

    def begin_shutdown() -> None:
        """First thing on SIGTERM/SIGINT (ops/serving.py): not ready, live streams end with `retry:`."""
        app.state.stopping = True
        hub = getattr(app.state, "live_hub", None)
        if hub is not None:
            hub.close_all()

    app = FastAPI(
        title="Relaydesk",
        version=__version__,
        summary="Escalation handoffs for IT support teams.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Before any route: a NUL in request data is a 422 naming the field, not a 500 in the query.
        dependencies=[Depends(reject_nul)],
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url, pool_size=settings.db_pool_size)
    app.state.workspace = WORKSPACE
    app.state.stopping = False
    app.state.mailbox = mailbox
    app.state.begin_shutdown = begin_shutdown
    problems.install(app, _render_page_error)
    for lost in (sa_exc.OperationalError, sa_exc.InterfaceError, psycopg.OperationalError, ConnectionError):
        app.add_exception_handler(lost, _database_lost)
    # File uploads alone may send more: the file's limit and the multipart framing around it. The
    # exact per-file and per-session checks, with their messages, are the attachments service's.
    upload_limit = settings.attachment_max_bytes + MULTIPART_SLACK

    def upload_too_large(length: int | None) -> str:
        size = f"The upload is {size_text(length)}; " if length else "The upload is too large; "
        return size + f"the limit is {size_text(settings.attachment_max_bytes)} per file."

    app.add_middleware(
        problems.BodyLimit,
        max_bytes=settings.max_body_bytes,
        larger=[(UPLOAD_PATHS, upload_limit, upload_too_large)],
        render_page=_render_page_error,
    )
    app.add_middleware(_EmailSwitch, on=bool(settings.smtp_url))
    app.add_middleware(RequestContext)  # every response gets its X-Request-ID
    # Added last, so outermost: the headers go on every response, the BodyLimit's 413 included.
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)

    app.include_router(accounts_api, responses=problems.RESPONSES)
    app.include_router(sessions_api, responses=problems.RESPONSES)
    app.include_router(attachments_api, responses=problems.RESPONSES)
    app.include_router(handoffs_api, responses=problems.RESPONSES)
    app.include_router(feedback_api, responses=problems.RESPONSES)
    app.include_router(summaries_api, responses=problems.RESPONSES)
    app.include_router(notifications_api, responses=problems.RESPONSES)
    app.include_router(deliveries_api, responses=problems.RESPONSES)
    app.include_router(integrations_api, responses=problems.RESPONSES)
    app.include_router(analytics_api, responses=problems.RESPONSES)
    app.include_router(live_api, responses=problems.RESPONSES)
    app.include_router(ops_api)
    app.include_router(mailbox_pages)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return app
