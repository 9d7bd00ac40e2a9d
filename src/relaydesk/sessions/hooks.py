"""What domains above sessions do when a step changes, in the step's transaction.

Imports go one way: sessions cannot import handoffs' snapshot or summaries' job, so those register
here from the composition root (app.py): handoffs keeps an escalation's story in step with a finding
or a correction, summaries refreshes the draft assessment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from relaydesk.accounts.actor import Actor
from relaydesk.db.uow import UnitOfWork
from relaydesk.sessions.models import Session, Step

StepChange = Literal["added", "edited", "deleted"]
StepHook = Callable[[UnitOfWork, Actor, Session, Step, StepChange], Awaitable[None]]
# by name, in the order first registered: an app made again (tests) replaces its hooks, not adds
_step_hooks: dict[str, StepHook] = {}


def on_step_change(name: str, hook: StepHook) -> None:
    _step_hooks[name] = hook


async def step_changed(
    uow: UnitOfWork, actor: Actor, session: Session, step: Step, change: StepChange
) -> None:
    for hook in list(_step_hooks.values()):
        await hook(uow, actor, session, step, change)
