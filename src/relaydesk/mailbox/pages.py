"""/mailbox: the demo's users read the email Relaydesk sent them (only theirs: by their address).

Present only when the process runs a local mailbox (`relaydesk demo`); 404 otherwise.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaydesk.errors import NotFound
from relaydesk.mailbox.server import Mailbox
from relaydesk.web.auth import PageActor
from relaydesk.web.templating import render

router = APIRouter()


def _mailbox(request: Request) -> Mailbox:
    mailbox = getattr(request.app.state, "mailbox", None)
    if mailbox is None:
        raise NotFound("There is no local mailbox here: it runs with `relaydesk demo` only.")
    return mailbox


@router.get("/mailbox")
async def inbox(request: Request, actor: PageActor) -> Response:
    mail = _mailbox(request).for_address(actor.email)
    return render(request, "mailbox/list.html", mail=mail)


@router.get("/mailbox/{number}")
async def message(request: Request, number: int, actor: PageActor) -> Response:
    mail = _mailbox(request).get(number, actor.email)
    if mail is None:
        raise NotFound("That message is not in your mailbox.")
    return render(request, "mailbox/message.html", mail=mail)
