"""Secrets in steps: marked ones sealed at rest, every one revealed on request, each reveal an event.

A technician marks a secret with `[[secret:…]]` in a step. It is stored sealed with the
integrations' Fernet key (`[[secret:sealed:<token>]]`), redacted as ``[redacted marked secret]``
before anything leaves, and shown masked. Secrets the redactor finds are stored as typed (the step
keeps the original) and shown masked too. "Reveal" returns one secret and records
`secret.revealed` (step, field, kind; never the value) in the audit trail.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.errors import NotFound
from relaydesk.handoffs import policy
from relaydesk.integrations import crypto
from relaydesk.live.service import append_event
from relaydesk.redaction import SecretKind
from relaydesk.redaction.masking import marked_value, secret_at
from relaydesk.sessions.models import Step

SEALED = "sealed:"
_MARK_RE = re.compile(r"\[\[secret:(?!sealed:)([^\]\n]{1,1500})\]\]")


def seal_marks(text: str | None, secret_key: str) -> str | None:
    """Each `[[secret:value]]` in `text` sealed; text without marks comes back as it was."""
    if text is None or "[[secret:" not in text:
        return text
    return _MARK_RE.sub(lambda m: f"[[secret:{SEALED}{crypto.seal(secret_key, {'v': m.group(1)})}]]", text)


def open_mark(stored: str, secret_key: str) -> str:
    value = marked_value(stored)
    if value.startswith(SEALED):
        return crypto.unseal(secret_key, value[len(SEALED) :])["v"]
    return value


async def reveal(
    uow: UnitOfWork,
    actor: Actor,
    session: uuid.UUID,
    step_id: uuid.UUID,
    field: str,
    index: int,
    *,
    secret_key: str,
) -> tuple[str, SecretKind]:
    """The `index`-th secret of a step's field, for an actor who may read the session and work:
    viewers read every session (handoffs/policy.py) but never a secret in clear."""
    policy.require_worker(actor, "reveal secrets")
    step = await uow.scalar(
        select(Step).where(
            Step.id == step_id, Step.session_id == session, Step.account_id == actor.account_id
        )
    )
    text = (step.action if field == "action" else step.result) if step is not None else None
    part = secret_at(text, index) if text else None
    if part is None or part.kind is None:
        raise NotFound("No such secret in that step.")
    value = open_mark(part.text, secret_key) if part.kind is SecretKind.MARKED else part.text
    await append_event(
        uow,
        account_id=actor.account_id,
        type="secret.revealed",
        actor_id=actor.user_id,
        session_id=session,
        payload={"step_id": str(step_id), "field": field, "kind": part.kind.value},
    )
    return value, part.kind
