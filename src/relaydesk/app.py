"""create_app(): the FastAPI application, its routers and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from relaydesk import __version__
from relaydesk.accounts.api import router as accounts_api
from relaydesk.analytics.api import router as analytics_api
from relaydesk.db.uow import Database
from relaydesk.deliveries.api import router as deliveries_api
from relaydesk.handoffs.api import router as handoffs_api
from relaydesk.integrations.api import router as integrations_api
from relaydesk.live.api import router as live_api
from relaydesk.live.listener import live_feed
from relaydesk.notifications.api import router as notifications_api
from relaydesk.sessions.api import router as sessions_api
from relaydesk.settings import Settings, get_settings
from relaydesk.summaries.api import router as summaries_api
from relaydesk.web import problems
from relaydesk.web.headers import SecurityHeaders
from relaydesk.web.nul import reject_nul
from relaydesk.web.pages import router as pages
from relaydesk.web.templating import STATIC_DIR, render

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


def create_app(settings: Settings | None = None, *, background: list[Background] | None = None) -> FastAPI:
    """The application. `background` defaults to the job worker (unless settings.run_worker is off);
    tests pass their own list to control what runs."""
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError(
            "create_app needs settings.database_url; the CLI starts the embedded database first."
        )

    if background is None:
        from relaydesk.worker import worker_in_app

        background = [worker_in_app] if settings.run_worker else []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            # Not a `background` companion: /api/v1/live needs it in every serving app, tests' too.
            await stack.enter_async_context(live_feed(app))
            for companion in background:
                await stack.enter_async_context(companion(app))
            yield
        await app.state.db.dispose()

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
    problems.install(app, _render_page_error)
    app.add_middleware(problems.BodyLimit, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: the headers go on every response, the BodyLimit's 413 included.
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)

    app.include_router(accounts_api, responses=problems.RESPONSES)
    app.include_router(sessions_api, responses=problems.RESPONSES)
    app.include_router(handoffs_api, responses=problems.RESPONSES)
    app.include_router(summaries_api, responses=problems.RESPONSES)
    app.include_router(notifications_api, responses=problems.RESPONSES)
    app.include_router(deliveries_api, responses=problems.RESPONSES)
    app.include_router(integrations_api, responses=problems.RESPONSES)
    app.include_router(analytics_api, responses=problems.RESPONSES)
    app.include_router(live_api, responses=problems.RESPONSES)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        async with app.state.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
