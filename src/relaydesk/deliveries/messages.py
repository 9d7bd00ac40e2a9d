"""What each delivery says: the redacted content stored on the row, and its rendering per channel.

Content is built once, when the row is enqueued, from text the caller passes in; every free-text
field goes through `redact` first (invariant 7), so the row holds nothing secret. Rendering
happens at send time, which is when the pickup link gets the server's base URL and the chat
post can add the likely cause if the summary is ready by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from relaydesk.deliveries.slack import slack_escalation_message
from relaydesk.deliveries.sources import SummaryView
from relaydesk.deliveries.teams import teams_escalation_card
from relaydesk.redaction import redact, redact_mapping
from relaydesk.web.templating import TEMPLATES_DIR

MAX_TRIED = 25  # steps listed in an email or PSA note; the pickup screen has them all
WEBHOOK_TYPES = {
    "escalation": "handoff.escalated",
    "unclaimed": "handoff.unclaimed",
    "resolved": "session.resolved",
    "test": "relaydesk.test",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR / "deliveries"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return redact(text) if text else None


def escalation_content(
    *,
    title: str,
    escalator: str,
    link: str,
    snapshot: dict[str, Any],
    handoff_id: str,
    session_id: str,
) -> dict[str, Any]:
    """The escalation as every channel tells it, from the handoff's snapshot."""
    tried = [
        {
            "action": _clean(step.get("action")) or "",
            "result": _clean(step.get("result")),
            "outcome": "note" if step.get("is_note") else str(step.get("outcome") or "info"),
        }
        for step in snapshot.get("steps") or []
    ]
    return {
        "kind": "escalation",
        "title": _clean(title) or "Escalation",
        "problem": _clean(snapshot.get("problem_summary")) or "",
        "client": _clean(snapshot.get("client_name")),
        "ticket": _clean(snapshot.get("ticket_id")),
        "priority": snapshot.get("priority"),
        "category": _clean(snapshot.get("category")),
        "escalator": _clean(escalator) or "",
        "reason": _clean(snapshot.get("reason")),
        "notes": _clean(snapshot.get("notes")),
        "tried": tried,
        "link": link,
        "handoff_id": handoff_id,
        "session_id": session_id,
    }


def unclaimed_content(escalation: dict[str, Any], *, minutes: float) -> dict[str, Any]:
    waited = f"{round(minutes)} min" if minutes >= 1 else f"{max(1, round(minutes * 60))} s"
    return {
        **escalation,
        "kind": "unclaimed",
        "waited": waited,
        "title": f"Unclaimed for {waited}: {escalation['problem'][:120]}",
    }


def resolution_content(
    *,
    session_id: str,
    problem: str,
    ticket: str | None,
    resolved_by: str,
    resolution: str,
    link: str,
    prose: str | None,
) -> dict[str, Any]:
    return {
        "kind": "resolved",
        "title": f"Resolved: {(_clean(problem) or '')[:120]}",
        "problem": _clean(problem) or "",
        "ticket": _clean(ticket),
        "resolved_by": _clean(resolved_by) or "",
        "resolution": _clean(resolution) or "",
        "prose": _clean(prose),
        "link": link,
        "session_id": session_id,
    }


def test_content(*, by: str, target: str) -> dict[str, Any]:
    return {
        "kind": "test",
        "title": "Relaydesk test message",
        "problem": f"{by} sent this test from Settings → Integrations to check {target}. Nothing to do.",
        "client": None,
        "ticket": None,
        "priority": None,
        "escalator": by,
        "link": "/settings/integrations",
    }


def absolute(base_url: str, link: str) -> str:
    return base_url.rstrip("/") + link if link.startswith("/") else link


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str
    html: str


def email(content: dict[str, Any], *, base_url: str, to_name: str | None) -> Email:
    content = redact_mapping(content)  # again with today's rules (see `webhook`)
    context = {
        "c": content,
        "to_name": to_name,
        "url": absolute(base_url, content["link"]),
        "tried": (content.get("tried") or [])[:MAX_TRIED],
        "more": max(0, len(content.get("tried") or []) - MAX_TRIED),
        "settings_url": absolute(base_url, "/settings/integrations"),
    }
    return Email(
        subject=content["title"],
        text=_env.get_template("email.txt").render(context),
        html=_env.get_template("email.html").render(context),
    )


def _chat_args(content: dict[str, Any], base_url: str, likely_cause: str | None) -> dict[str, Any]:
    content = redact_mapping(content)  # again with today's rules (see `webhook`)
    return {
        "title": content["title"],
        "problem": content["problem"],
        "client": content.get("client"),
        "ticket": content.get("ticket"),
        "priority": content.get("priority"),
        "escalator": content.get("escalator") or "",
        "likely_cause": likely_cause,
        "url": absolute(base_url, content["link"]),
    }


def slack(content: dict[str, Any], *, base_url: str, likely_cause: str | None) -> dict[str, Any]:
    return slack_escalation_message(**_chat_args(content, base_url, likely_cause))


def teams(content: dict[str, Any], *, base_url: str, likely_cause: str | None) -> dict[str, Any]:
    return teams_escalation_card(**_chat_args(content, base_url, likely_cause))


def webhook(
    content: dict[str, Any], *, base_url: str, likely_cause: str | None
) -> tuple[str, dict[str, Any]]:
    """(event type, data) for the signed webhook: the content, absolute link, and the cause if known."""
    data = {k: v for k, v in content.items() if k not in ("kind", "link")}
    data["url"] = absolute(base_url, content["link"])
    if content["kind"] in ("escalation", "unclaimed"):
        data["likely_cause"] = likely_cause
    # The stored content was redacted when enqueued; rows enqueued by an older rule set are
    # redacted again with the current one on their way out.
    return WEBHOOK_TYPES[content["kind"]], redact_mapping(data)


def psa_note(content: dict[str, Any], *, base_url: str, summary: SummaryView | None) -> str:
    content = redact_mapping(content)  # again with today's rules (see `webhook`)
    url = absolute(base_url, content["link"])
    if content["kind"] == "test":
        return f"Relaydesk connection test by {content['escalator']}. This internal note can be deleted."
    if content["kind"] == "resolved":
        lines = [
            f"Resolved in Relaydesk by {content['resolved_by']}",
            "",
            f"Resolution: {content['resolution']}",
        ]
        if content.get("prose"):
            lines += ["", content["prose"]]
        lines += ["", f"Session: {url}"]
        return "\n".join(lines)
    lines = [
        f"Escalated in Relaydesk by {content['escalator']}"
        + (f" ({content['priority']} priority)" if content.get("priority") else "")
    ]
    if content.get("reason"):
        lines.append(f"Why: {content['reason']}")
    lines += ["", f"Problem: {content['problem']}"]
    tried = content.get("tried") or []
    if tried:
        lines += ["", "What was tried:"]
        for step in tried[:MAX_TRIED]:
            result = f" → {step['result']}" if step.get("result") else ""
            lines.append(f"- {step['action']}{result} [{step['outcome']}]")
        if len(tried) > MAX_TRIED:
            lines.append(f"- … and {len(tried) - MAX_TRIED} more in Relaydesk")
    if content.get("notes"):
        lines += ["", f"Notes: {content['notes']}"]
    if summary is not None and summary.ticket_note:
        lines += ["", "Summary" + ("" if summary.ready else " (draft)") + f": {summary.ticket_note}"]
    if summary is not None and summary.likely_cause:
        lines.append(f"Likely cause: {summary.likely_cause}")
    if summary is None or not summary.ticket_note:
        lines += ["", "The summary was not ready when this note was written; it is in Relaydesk."]
    lines += ["", f"Pick up in Relaydesk: {url}"]
    return "\n".join(lines)
