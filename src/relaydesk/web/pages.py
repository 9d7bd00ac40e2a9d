"""Sign-in pages and the router that gathers every domain's pages."""

from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from relaydesk.accounts import service as accounts
from relaydesk.accounts.clientip import client_ip, parse_proxies
from relaydesk.analytics.pages import router as analytics_pages
from relaydesk.attachments.pages import router as attachments_pages
from relaydesk.attachments.pages import workspace_context as attachments_context
from relaydesk.deliveries.pages import router as deliveries_pages
from relaydesk.deliveries.pages import workspace_context as deliveries_context
from relaydesk.feedback.pages import router as feedback_pages
from relaydesk.feedback.pages import workspace_context as feedback_context
from relaydesk.handoffs.pages import nav_counts, workspace_context
from relaydesk.handoffs.pages import router as handoffs_pages
from relaydesk.handoffs.together import router as together_pages
from relaydesk.handoffs.together import workspace_context as together_context
from relaydesk.integrations.pages import router as integrations_pages
from relaydesk.notifications.pages import router as notifications_pages
from relaydesk.sessions.pages import Workspace
from relaydesk.sessions.pages import router as sessions_pages
from relaydesk.summaries.pages import router as summaries_pages
from relaydesk.summaries.pages import workspace_context as summaries_context
from relaydesk.web.auth import LOGIN_CSRF_COOKIE
from relaydesk.web.deps import COOKIE, OptionalActor, get_db, get_settings
from relaydesk.web.templating import render

# Every page gets the header's queue and bell counts (one query), form posts re-rendered too.
router = APIRouter(include_in_schema=False, dependencies=[Depends(nav_counts)])
router.include_router(sessions_pages)
router.include_router(handoffs_pages)
router.include_router(together_pages)
router.include_router(notifications_pages)
router.include_router(analytics_pages)
router.include_router(deliveries_pages)
router.include_router(integrations_pages)
router.include_router(summaries_pages)
router.include_router(feedback_pages)
router.include_router(attachments_pages)

# The session workspace with what the domains above sessions add to it (app.state.workspace).
WORKSPACE = Workspace(
    template="handoffs/workspace.html",
    contexts=(
        workspace_context,
        together_context,
        deliveries_context,
        summaries_context,
        feedback_context,
        attachments_context,
    ),
)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing aid.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(c in target for c in "\\\t\r\n")
    ):
        return target
    return "/sessions"


def _login_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    next_url: str = "/sessions",
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status,
        error=error,
        email=email,
        next_url=next_url,
        login_csrf=token,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=get_settings(request).secure_cookies,
    )
    return response


@router.get("/")
async def home(actor: OptionalActor) -> Response:
    return RedirectResponse("/sessions" if actor else "/login", status_code=303)


@router.get("/login")
async def login_form(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/sessions"),
) -> Response:
    settings = get_settings(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(request, status=403, error="The sign-in form expired. Try again.", email=email)
    ip = client_ip(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        parse_proxies(settings.trusted_proxies),
    )
    # Its own transaction, committed before the password is checked: the next attempt's count
    # sees this one, however many run at once.
    async with get_db(request).uow() as uow:
        locked = await accounts.admit_login_attempt(
            uow,
            email=email,
            ip=ip,
            max_failures=settings.login_max_failures,
            window=settings.login_window_seconds,
        )
    if locked:
        await asyncio.sleep(settings.login_locked_delay_seconds)
    async with get_db(request).uow() as uow:
        user = await accounts.authenticate(uow, email=email, password=password)
        token = (await accounts.start_web_session(uow, user, days=settings.session_days))[0] if user else None
    if token is None:
        return _login_page(
            request,
            status=401,
            error="That email and password do not match.",
            email=email,
            next_url=_safe_next(next),
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Ends the server-side session whenever the cookie names one. No CSRF token is asked for: a
    forged sign-out can only do what the button does, while a sign-out that kept the session
    alive (because a token was missing) would leave a stolen cookie working."""
    token = request.cookies.get(COOKIE)
    if token:
        async with get_db(request).uow() as uow:
            await accounts.end_web_session(uow, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
