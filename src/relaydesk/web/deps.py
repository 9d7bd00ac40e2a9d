"""Dependencies shared by every route: the unit of work and the acting user."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from relaydesk.accounts import service as accounts
from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import Database, UnitOfWork
from relaydesk.errors import NotAuthenticated, NotPermitted
from relaydesk.ops.context import note_account
from relaydesk.settings import Settings

COOKIE = "relaydesk_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request. scope="function" makes it commit before the response is
    sent, so a 201 always means committed; an exception rolls everything back."""
    async with get_db(request).uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def optional_actor(request: Request, uow: UowDep) -> Actor | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        actor = await accounts.actor_from_api_token(uow, header[7:].strip())
        if actor is None:
            raise NotAuthenticated("That API token is unknown or revoked.")
        return actor
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return await accounts.actor_from_cookie(uow, cookie)
    return None


async def current_actor(request: Request, actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
    note_account(actor.account_id)  # for the request's log lines
    # Cookie-authenticated writes need the CSRF token (pages send it from a meta tag).
    if actor.via == "cookie" and request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not actor.csrf_token or not secrets.compare_digest(sent, actor.csrf_token):
            raise NotPermitted("Missing or stale CSRF token; reload the page and try again.")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


async def detached_actor(request: Request) -> Actor:
    """The caller, signed in by a transaction of its own that is over before the route runs: for
    routes that wait on the network (a model call, a PSA lookup), which must not hold a database
    transaction, and its pooled connection, open meanwhile (docs/architecture.md, "Requests")."""
    async with get_db(request).uow() as uow:
        actor = await optional_actor(request, uow)
    return await current_actor(request, actor)


DetachedActor = Annotated[Actor, Depends(detached_actor)]
