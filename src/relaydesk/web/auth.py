"""Page-side authentication: the signed-in actor, login redirects and form CSRF."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from relaydesk.accounts.actor import Actor
from relaydesk.errors import NotPermitted, RelaydeskError
from relaydesk.web.deps import OptionalActor

LOGIN_CSRF_COOKIE = "relaydesk_login_csrf"


class LoginRequired(RelaydeskError):
    status_code = 303
    title = "Sign in"


async def page_actor(request: Request, actor: OptionalActor) -> Actor:
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired("Sign in to continue.", headers={"Location": f"/login?next={quote(target)}"})
    request.state.actor = actor
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


async def check_form_csrf(request: Request, actor: Actor) -> None:
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not actor.csrf_token or not secrets.compare_digest(sent, actor.csrf_token):
        raise NotPermitted("This form has expired. Reload the page and try again.")


async def form_actor(request: Request, actor: PageActor) -> Actor:
    """The actor of a form post, after checking the form's CSRF token."""
    await check_form_csrf(request, actor)
    return actor


FormActor = Annotated[Actor, Depends(form_actor)]
