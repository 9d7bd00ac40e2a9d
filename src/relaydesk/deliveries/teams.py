"""Microsoft Teams through a Workflows (Power Automate) webhook: post an Adaptive Card.

Workflows answers 202 Accepted with an empty body. Retired Office 365
connector URLs answered 200 with the body `1`, and reported their own errors
as 200 with a text body; both readings are handled. Workflows errors are
JSON `{"error": {"code", "message"}}`. The URL carries its signature (`sig=`)
and is never put in a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from relaydesk.outbound.outcome import DeliveryFailed, Sent, excerpt, http_failure, send_request

SERVICE = "Teams"

_EXPLANATIONS: dict[str, str] = {
    "TriggerInputSchemaMismatch": "the workflow rejected the message shape",
    "DirectApiAuthorizationRequired": "the workflow requires sign-in; allow 'Anyone' to trigger it",
    "WorkflowTriggerIsNotEnabled": "the workflow is turned off in Power Automate",
    "WorkflowNotFound": "the workflow was deleted; create a new webhook in Teams",
    "AuthorizationFailed": "the webhook URL's signature is no longer valid; copy it again from Teams",
}

# Office 365 connectors reported failures in a 200 body beginning like this.
_LEGACY_FAILURE = "webhook message delivery failed"


async def post_teams(url: str, payload: Mapping[str, Any], *, client: httpx.AsyncClient) -> Sent:
    """POST `payload` (see `teams_escalation_card`) to a Workflows or legacy connector URL."""
    response = await send_request(client, SERVICE, "POST", url, json=dict(payload))
    body = response.text.strip()
    if response.status_code == 202:
        return Sent(external_id=None, detail="Teams accepted the message")
    if response.status_code == 200 and body.lower().startswith(_LEGACY_FAILURE):
        raise DeliveryFailed(
            f"Teams answered 200 with an error: {excerpt(body)}",
            retryable="429" in body,
            status=200,
        )
    if 200 <= response.status_code < 300:
        # 200 `1` from legacy connectors, or a workflow that ends with its own Response action.
        return Sent(external_id=None, detail="Teams accepted the message")
    raise _failure(response, body)


def _failure(response: httpx.Response, body: str) -> DeliveryFailed:
    code, text = "", ""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        text = str(error.get("message") or "")
    if code in _EXPLANATIONS:
        reason = f"{code}: {_EXPLANATIONS[code]}" + (f" ({excerpt(text, 200)})" if text else "")
    elif code:
        reason = f"{code}: {excerpt(text, 200)}" if text else code
    else:
        reason = excerpt(body) if body else f"with an empty body ({response.reason_phrase})"
    return http_failure(SERVICE, response, reason)


# Characters Teams' Markdown (a CommonMark subset) gives meaning to; CommonMark lets a backslash
# turn any ASCII punctuation into itself, so escaping is always safe to read.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")
_ORDERED_ITEM = re.compile(r"^(\s*\d+)([.)])", re.M)


def markdown_escape(text: str) -> str:
    """Text from a session shown as itself: `[text](https://evil.example)` stays text, never a link,
    `**x**` never bold, a line starting `1.` never a list."""
    return _ORDERED_ITEM.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


def teams_escalation_card(
    *,
    title: str,
    problem: str,
    client: str | None,
    ticket: str | None,
    priority: str | None,
    escalator: str,
    likely_cause: str | None,
    url: str,
) -> dict[str, Any]:
    """A Workflows message carrying one Adaptive Card 1.4 (the version Teams renders everywhere).

    `contentUrl: null` must be present: the Workflows trigger schema requires the key. Every text
    taken from a session is Markdown-escaped: Teams renders Markdown in TextBlocks and facts.
    """
    facts = [("Client", client), ("Ticket", ticket), ("Priority", priority), ("Escalated by", escalator)]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": markdown_escape(title),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": markdown_escape(problem), "wrap": True},
        {
            "type": "FactSet",
            "facts": [{"title": name, "value": markdown_escape(value)} for name, value in facts if value],
        },
    ]
    if likely_cause:
        cause = f"Likely cause: {markdown_escape(likely_cause)}"
        body.append({"type": "TextBlock", "text": cause, "wrap": True, "isSubtle": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open handoff", "url": url}],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
