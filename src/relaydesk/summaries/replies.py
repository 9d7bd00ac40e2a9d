"""Reading a model's reply: the raw output as sent back, why a reply was refused, and which steps or
past sessions its evidence names. Pure functions, shared by both calls of summaries/llm.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart

from relaydesk.summaries import prompts
from relaydesk.summaries.schemas import EmailDraft, ModelAssessment, SummaryMaterial


def raw_output(messages: list[ModelMessage]) -> str | None:
    """The last reply as text: its tool call arguments when it made one, else its text."""
    for message in reversed(messages):
        if not isinstance(message, ModelResponse):
            continue
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                args = part.args
                if isinstance(args, str):
                    return args
                return json.dumps(args, ensure_ascii=False) if args is not None else None
        text = "".join(part.content for part in message.parts if isinstance(part, TextPart))
        # A refusal has no parts; OpenAI puts its words in `refusal`, Anthropic may explain in stop_details.
        refusal = (message.provider_details or {}).get("refusal")
        return text or (refusal if isinstance(refusal, str) else None)
    return None


def _explain_invalid(raw: str | None, validate: Callable[[Any], object]) -> str:
    if raw is None or not raw.strip():
        return "reply had no structured output"
    try:
        data = json.loads(raw)
    except ValueError:
        return "reply was not valid JSON"
    try:
        validate(data)
    except ValidationError as exc:
        return f"reply did not match the schema: {_brief_errors(exc)}"
    return "reply was rejected"


def explain_invalid_assessment(raw: str | None) -> str:
    return _explain_invalid(raw, ModelAssessment.model_validate)


def explain_invalid_email(raw: str | None) -> str:
    return _explain_invalid(raw, EmailDraft.model_validate)


def _brief_errors(exc: ValidationError, limit: int = 3) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in errors[:limit])
    return shown + (f" (+{len(errors) - limit} more)" if len(errors) > limit else "")


def resolve_evidence(cited: list[str], material: SummaryMaterial) -> list[str]:
    """Labels (S2, P1) or ids the model was shown → ids, in order, without duplicates; the rest dropped."""
    labels = prompts.evidence_labels(material)
    known_ids = set(labels.values())
    resolved: list[str] = []
    for item in cited:
        key = item.strip().strip("[]").upper()
        ref = labels.get(key) or (item.strip().lower() if item.strip().lower() in known_ids else None)
        if ref is not None and ref not in resolved:
            resolved.append(ref)
    return resolved
