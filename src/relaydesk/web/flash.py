"""A one-shot flash kept server-side on the web session, for post/redirect/get.

A form that makes something to be shown once (a webhook's signing secret) cannot put it in the
redirect's URL, where history and logs would keep it. It is sealed into the signed-in browser's
web session instead and taken — read and cleared in one statement — by the next page shown.
"""

from __future__ import annotations

from sqlalchemy import text

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.integrations.crypto import SecretsUnreadable, seal, unseal


async def keep(uow: UnitOfWork, actor: Actor, secret_key: str, values: dict[str, str]) -> None:
    """Hold `values` for this browser's next page (a cookie-signed-in actor; the csrf token names
    the web session)."""
    await uow.execute(
        text("UPDATE web_sessions SET flash = :flash WHERE user_id = :user AND csrf_token = :csrf"),
        {"flash": seal(secret_key, values), "user": actor.user_id, "csrf": actor.csrf_token},
    )


async def take(uow: UnitOfWork, actor: Actor, secret_key: str) -> dict[str, str] | None:
    """What the last form kept for this page, once: a reload finds nothing."""
    if actor.csrf_token is None:
        return None
    sealed = await uow.scalar(
        text(
            "UPDATE web_sessions w SET flash = NULL FROM ("
            "  SELECT id, flash FROM web_sessions"
            "  WHERE user_id = :user AND csrf_token = :csrf AND flash IS NOT NULL FOR UPDATE"
            ") old WHERE w.id = old.id RETURNING old.flash"
        ),
        {"user": actor.user_id, "csrf": actor.csrf_token},
    )
    if sealed is None:
        return None
    try:
        return unseal(secret_key, sealed)
    except SecretsUnreadable:
        return None  # the secret key changed between the form and the page
