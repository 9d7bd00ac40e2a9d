"""The queue as a technician triages it: each row's wait, its pickup-SLA state and its sort key.

The pickup SLA is the account's setting the reminders use (deliveries/service.py schedules the
reminder `pickup_sla_minutes` after the escalation): a row is due at `created_at` plus that many
minutes. The words here are the server's first rendering; static/queue.js keeps them ticking from
the row's data attributes with the same wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from relaydesk.handoffs.reading import PRIORITY_RANK
from relaydesk.handoffs.schemas import QueueItem

SlaState = Literal["ok", "soon", "breached", "off", "picked-up"]
# Glyphs beside the words, so the state never rests on colour alone.
SLA_GLYPHS: dict[str, str] = {"ok": "◷", "soon": "⚠", "breached": "✕", "off": "–", "picked-up": "✓"}
# "Due soon" once a quarter of the window is left.
SOON_SHARE = 0.25


def span(seconds: float) -> str:
    """`2 h 05 min`, `14 min`, `4:07` under ten minutes (so a countdown visibly moves)."""
    whole = max(0, int(seconds))
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    if whole >= 600:
        return f"{whole // 60} min"
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class Sla:
    state: SlaState
    due_at: datetime | None
    window_seconds: float
    words: str

    @property
    def glyph(self) -> str:
        return SLA_GLYPHS[self.state]


def sla_of(item: QueueItem, minutes: float, now: datetime) -> Sla:
    if item.status != "open":
        return Sla("picked-up", None, 0, "picked up")
    if minutes <= 0:
        return Sla("off", None, 0, "no pickup SLA")
    window = minutes * 60
    due = item.created_at + timedelta(minutes=minutes)
    left = (due - now).total_seconds()
    if left <= 0:
        return Sla("breached", due, window, f"SLA breached {span(-left)} ago")
    state: SlaState = "soon" if left <= window * SOON_SHARE else "ok"
    return Sla(state, due, window, f"{span(left)} left to pick up")


@dataclass(frozen=True)
class QueueRow:
    item: QueueItem
    sla: Sla
    waited: str

    @property
    def sort_key(self) -> str:
        """Priority rank, then creation time: ascending string order is queue order (queue.js
        inserts a live arrival before the first row whose key is greater)."""
        rank = PRIORITY_RANK.get(self.item.priority, len(PRIORITY_RANK))
        millis = int(self.item.created_at.timestamp() * 1000)
        return f"{rank}-{millis:015d}-{self.item.id}"


def rows(items: list[QueueItem], sla_minutes: float, now: datetime) -> list[QueueRow]:
    return [
        QueueRow(item, sla_of(item, sla_minutes, now), span((now - item.created_at).total_seconds()))
        for item in items
    ]
