"""Slack incoming webhooks: post a Block Kit message, read Slack's plain-text answer.

Slack answers 200 `ok`, or an error status with a one-word plain-text body
(`channel_not_found`, `invalid_blocks`, ...). Anything but 429 and 5xx will
fail the same way again, so those are final with the word and what it means.
The webhook URL is the credential: it never appears in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from relaydesk.outbound.outcome import DeliveryFailed, Sent, excerpt, http_failure, send_request

SERVICE = "Slack"

# Slack's documented webhook error words, in terms a technician can act on.
_EXPLANATIONS: dict[str, str] = {
    "invalid_payload": "Slack could not read the message (not valid JSON, or no text)",
    "invalid_blocks": "Slack rejected the message layout (a block is invalid or too long)",
    "invalid_blocks_format": "Slack rejected the message layout (blocks are not a list)",
    "too_many_attachments": "the message has more than 100 attachments",
    "action_prohibited": "a Slack admin has restricted posting to the webhook's channel",
    "posting_to_general_channel_denied": "only admins may post to the webhook's channel",
    "user_not_found": "the webhook's direct-message user no longer exists",
    "channel_not_found": "the webhook's channel no longer exists",
    "channel_is_archived": "the webhook's channel is archived",
    "no_service": "the webhook was removed or disabled; create a new one in Slack",
    "no_service_id": "the webhook URL is incomplete; copy it again from Slack",
    "no_team": "the Slack workspace behind the webhook no longer exists",
    "team_disabled": "the Slack workspace behind the webhook is disabled",
    "invalid_token": "the webhook was revoked; create a new one in Slack",
    "no_active_hooks": "the webhook is disabled; create a new one in Slack",
    "rollup_error": "Slack had an internal error",
    "rate_limited": "too many messages to this webhook (about one per second is allowed)",
}


async def post_slack(url: str, payload: Mapping[str, Any], *, client: httpx.AsyncClient) -> Sent:
    """POST `payload` (see `slack_escalation_message`) to an incoming-webhook URL."""
    response = await send_request(client, SERVICE, "POST", url, json=dict(payload))
    body = response.text.strip()
    if response.status_code == 200 and body == "ok":
        return Sent(external_id=None, detail="Slack accepted the message")
    raise _failure(response, body)


def _failure(response: httpx.Response, body: str) -> DeliveryFailed:
    if response.status_code == 200:
        # Slack itself only ever says `ok`; anything else came from something in between.
        return DeliveryFailed(
            f"Slack answered 200 but not `ok`: {excerpt(body, 120) or 'an empty body'}",
            retryable=True,
            status=200,
        )
    word = body if body and len(body) <= 64 and body.replace("_", "").isalnum() else ""
    if word in _EXPLANATIONS:
        reason = f"{word}: {_EXPLANATIONS[word]}"
    elif response.status_code == 429:
        reason = f"{word or 'rate_limited'}: {_EXPLANATIONS['rate_limited']}"
    elif word:
        reason = word
    else:
        reason = excerpt(body) if body else f"with an empty body ({response.reason_phrase})"
    failure = http_failure(SERVICE, response, reason)
    if failure.retry_after is not None:
        failure.message += f"; Slack asks to wait {failure.retry_after:g} s"
    return failure


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters, so typed text cannot become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Never end inside an escape such as `&am`; Slack would show it literally.
    amp = cut.rfind("&", len(cut) - 4)
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def slack_escalation_message(
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
    """A Block Kit escalation message with a plain `text` fallback for notifications.

    Limits from Block Kit: header 150 chars, section text 3000, field 2000, button URL 3000.
    Plain-text objects are shown literally; only mrkdwn text is escaped.
    """
    facts = [("Client", client), ("Ticket", ticket), ("Priority", priority), ("Escalated by", escalator)]
    fields = [
        {"type": "mrkdwn", "text": _clip(f"*{name}*\n{mrkdwn_escape(value)}", 2000)}
        for name, value in facts
        if value
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, 150), "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(mrkdwn_escape(problem), 3000)}},
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if likely_cause:
        cause = _clip(f"*Likely cause:* {mrkdwn_escape(likely_cause)}", 3000)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cause}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _clip(f"Escalated by {mrkdwn_escape(escalator)}", 2000)}],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "open_handoff",
                    "text": {"type": "plain_text", "text": "Open handoff"},
                    "style": "primary",
                    "url": url,
                }
            ],
        }
    )
    where = " · ".join(part for part in (client, f"ticket {ticket}" if ticket else None) if part)
    fallback = f"Escalation: {title}" + (f" ({where})" if where else "") + f" by {escalator}"
    return {"text": _clip(mrkdwn_escape(fallback), 3000), "blocks": blocks}
