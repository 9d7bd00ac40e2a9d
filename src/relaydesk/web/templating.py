"""Jinja2 templates with the per-request context every page needs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from relaydesk.handoffs.policy import may_write
from relaydesk.web.masking import holds_secret, masked

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _page_context(request: Request) -> dict[str, Any]:
    actor = getattr(request.state, "actor", None)
    return {
        "actor": actor,
        "csrf_token": actor.csrf_token if actor else None,
        # the header's queue and bell counts, computed by the handoffs.pages.nav_counts dependency
        "nav": getattr(request.state, "nav_counts", None),
    }


def ago(moment: datetime | None) -> str:
    """ "5 min ago": how long a handoff has waited matters more than the clock time."""
    if moment is None:
        return ""
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_page_context])
templates.env.filters["ago"] = ago
templates.env.filters["clock"] = clock
templates.env.filters["masked"] = masked
# Pages show only the actions the policy allows: a viewer gets no Reveal buttons (handoffs/policy.py).
templates.env.globals["may_write"] = may_write
templates.env.tests["holding_secret"] = holds_secret


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Any:
    return templates.TemplateResponse(request, name, context, status_code=status_code)
