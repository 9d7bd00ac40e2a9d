"""The LLM engine: one bounded model call that returns a validated assessment, or says why not.

Database-free on purpose: the worker hands in redacted material (invariant 7) and stores what comes back.

How a call is bounded (invariants 4 and 5):

- One overall deadline (`LlmConfig.deadline_seconds`) covers everything, enforced by `asyncio.timeout`;
  each attempt also gets what is left of it as pydantic-ai's `request_timeout`.
- At most two HTTP requests. The SDK clients are built with `max_retries=0` and the agent with output and
  tool retry budgets of 0, so one attempt is exactly one request; this module decides on the second.
- The second request is sent only after a transient provider failure that produced no answer (HTTP 429,
  5xx/529, a dropped connection), and only when, after waiting `Retry-After` (or a short pause), at least a
  quarter of the deadline is left. A timeout, a rejected request (4xx), a refusal or an invalid reply is
  final: the model did answer (or the time is gone), and asking again would spend a second call.
- Provider trouble never raises: the run comes back with `error` set to a sentence a person can read, and
  the worker keeps the offline summary with that reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from pydantic_ai import Agent, ModelSettings, NativeOutput, ToolOutput, capture_run_messages
from pydantic_ai.exceptions import (
    ContentFilterError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelRequestTimeout,
    ModelTimeoutError,
    OutputTokenLimitExceeded,
    UnexpectedModelBehavior,
)
from pydantic_ai.messages import ModelResponse
from pydantic_ai.output import OutputSpec

from relaydesk.redaction import redact
from relaydesk.settings import Settings
from relaydesk.summaries import prompts, replies
from relaydesk.summaries.schemas import EmailDraft, ModelAssessment, SummaryMaterial, Usage

log = logging.getLogger(__name__)

Provider = Literal["anthropic", "openai"]
OutputMode = Literal["tool", "native"]

MAX_ATTEMPTS = 2
# A retry is only worth sending if this share of the deadline is still left after waiting for it.
RETRY_MIN_REMAINING_SHARE = 0.25
RETRY_PAUSE_SECONDS = 0.5
ASSESS_MAX_TOKENS = 2000
REWRITE_MAX_TOKENS = 1200
OUTPUT_TOOL_NAME = "submit_assessment"
EMAIL_TOOL_NAME = "submit_email"

T = TypeVar("T")


@dataclass(frozen=True)
class LlmConfig:
    """Which model to call and how long a call may take.

    `model` is `provider:name`, e.g. `anthropic:claude-sonnet-4-5` or `openai:gpt-4.1-mini`. With `base_url`,
    an `openai:` model goes to that OpenAI-compatible server (Ollama, vLLM, LM Studio) and an `anthropic:`
    model to that Anthropic-compatible endpoint. Keys come from `api_key`, else ANTHROPIC_API_KEY /
    OPENAI_API_KEY; OPENAI_API_KEY is never sent to a `base_url` server, which is not OpenAI.
    `output_mode="native"` asks for JSON-schema output (`response_format`) instead of a tool call, for
    servers whose tool calling is weak.
    """

    model: str
    base_url: str | None
    deadline_seconds: float
    api_key: str | None = field(default=None, repr=False)
    output_mode: OutputMode = "tool"
    # The rendered material is cut to this many characters (1,000 steps once made a 617 KB request).
    max_prompt_chars: int = 60_000

    def __post_init__(self) -> None:
        provider, _, name = self.model.partition(":")
        if provider not in ("anthropic", "openai") or not name:
            raise ValueError(
                f"LLM model must look like 'anthropic:<name>' or 'openai:<name>', got {self.model!r}"
            )
        if self.deadline_seconds <= 0:
            raise ValueError("deadline_seconds must be positive")

    @property
    def provider(self) -> Provider:
        return "anthropic" if self.model.startswith("anthropic:") else "openai"

    @property
    def model_name(self) -> str:
        return self.model.partition(":")[2]

    @classmethod
    def from_settings(cls, settings: Settings, *, fast: bool = False) -> LlmConfig | None:
        """The configured model (the fast one for rewrites when `fast` and set), or None: offline only."""
        model = (settings.llm_fast_model if fast else None) or settings.llm_model
        if not model:
            return None
        return cls(
            model=model,
            base_url=settings.llm_base_url or None,
            deadline_seconds=settings.summary_deadline_seconds,
            max_prompt_chars=settings.llm_max_prompt_chars,
        )


@dataclass(kw_only=True)
class LlmCall:
    """What one bounded call did, for the summary row and the audit trail."""

    model: str
    prompt_version: str
    input_text: str
    """The request body exactly as it went over the wire (JSON text: instructions, the rendered material,
    the output schema, and any note pydantic-ai added); empty when nothing was sent."""
    raw_output: str | None
    """The model's reply as text (tool call arguments or message content), when there was one."""
    usage: Usage
    """Tokens over every attempt: a rejected reply was billed too."""
    latency_ms: int
    error: str | None
    """Why there is no usable result, in words for the screen; None on success."""
    attempts: int
    """HTTP requests sent: 0 (not configured), 1 or 2."""
    prompt_cut: str | None = None
    """What was left out of the material to keep the prompt within `max_prompt_chars`, if anything."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(kw_only=True)
class LlmRun(LlmCall):
    parsed: ModelAssessment | None
    """The validated assessment. Its `evidence` holds step and similar-session ids: the labels the model
    cited (S1, P2) are resolved, and anything it was not shown is dropped."""


@dataclass(kw_only=True)
class RewriteRun(LlmCall):
    variant: prompts.Variant
    text: str | None


@dataclass
class _Attempt(Generic[T]):
    output: T | None = None
    raw_output: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    retry_after: float | None = None
    retryable: bool = False


@dataclass
class _Outcome(Generic[T]):
    output: T | None
    input_text: str
    raw_output: str | None
    usage: Usage
    latency_ms: int
    error: str | None
    attempts: int


def load_providers() -> None:
    """Import the vendor SDKs now (a process that will call a model: the worker, serve with a model)."""
    from relaydesk.summaries import providers  # noqa: F401  (imported for its import cost, once)


# --- public API ----------------------------------------------------------------------------------------


async def assess(material: SummaryMaterial, config: LlmConfig) -> LlmRun:
    """Ask the model for a grounded assessment of the handoff. At most two requests, within the deadline."""
    output_type: OutputSpec[ModelAssessment]
    rendered, cut = prompts.fit_material(material, config.max_prompt_chars)
    # The material is redacted by its maker; the whole prompt once more, as the last step before it
    # leaves (invariant 7; redacting twice equals once).
    user_text = redact(rendered)
    if config.output_mode == "native":
        output_type = NativeOutput(ModelAssessment, name="assessment")
    else:
        output_type = ToolOutput(ModelAssessment, name=OUTPUT_TOOL_NAME, max_retries=0)
    outcome = await _bounded_call(
        config,
        instructions=prompts.SUMMARY_INSTRUCTIONS,
        user_text=user_text,
        output_type=output_type,
        max_tokens=ASSESS_MAX_TOKENS,
        explain_invalid=replies.explain_invalid_assessment,
    )
    parsed = outcome.output
    if parsed is not None:
        parsed = parsed.model_copy(update={"evidence": replies.resolve_evidence(parsed.evidence, material)})
    return LlmRun(
        model=config.model,
        prompt_version=prompts.PROMPT_VERSION,
        input_text=outcome.input_text,
        raw_output=outcome.raw_output,
        parsed=parsed,
        usage=outcome.usage,
        latency_ms=outcome.latency_ms,
        error=outcome.error,
        attempts=outcome.attempts,
        prompt_cut=cut,
    )


async def rewrite(prose: str, variant: prompts.Variant, config: LlmConfig) -> RewriteRun:
    """Tone-shift the saved ticket-note prose for one variant: one small call on the prose only."""
    user_text = redact(prompts.render_prose(prose))
    outcome: _Outcome[str]
    if variant == "email_draft":
        email = await _bounded_call(
            config,
            instructions=prompts.EMAIL_DRAFT_INSTRUCTIONS,
            user_text=user_text,
            output_type=ToolOutput(EmailDraft, name=EMAIL_TOOL_NAME, max_retries=0),
            max_tokens=REWRITE_MAX_TOKENS,
            explain_invalid=replies.explain_invalid_email,
        )
        rendered = email.output.render() if email.output is not None else None
        outcome = _Outcome(
            rendered,
            email.input_text,
            email.raw_output,
            email.usage,
            email.latency_ms,
            email.error,
            email.attempts,
        )
    else:
        outcome = await _bounded_call(
            config,
            instructions=prompts.CLIENT_UPDATE_INSTRUCTIONS,
            user_text=user_text,
            output_type=str,
            max_tokens=REWRITE_MAX_TOKENS,
            explain_invalid=lambda raw: "reply was empty",
        )
    text = (outcome.output or "").strip() or None
    error = outcome.error or (None if text else "reply was empty")
    return RewriteRun(
        model=config.model,
        prompt_version=prompts.REWRITE_VERSIONS[variant],
        input_text=outcome.input_text,
        raw_output=outcome.raw_output,
        variant=variant,
        text=text if error is None else None,
        usage=outcome.usage,
        latency_ms=outcome.latency_ms,
        error=error,
        attempts=outcome.attempts,
    )


# --- the bounded call ----------------------------------------------------------------------------------


async def _bounded_call(
    config: LlmConfig,
    *,
    instructions: str,
    user_text: str,
    output_type: OutputSpec[T],
    max_tokens: int,
    explain_invalid: Callable[[str | None], str],
) -> _Outcome[T]:
    # The vendor SDKs take seconds to import: loaded on the first call (or by load_providers at start
    # when a model is configured), before the deadline starts, so the import never eats the call's time.
    from relaydesk.summaries import providers

    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline_at = started + config.deadline_seconds
    attempts: list[_Attempt[T]] = []
    sent: list[str] = []

    def outcome(error: str | None) -> _Outcome[T]:
        last = attempts[-1] if attempts else _Attempt[T]()
        return _Outcome(
            output=last.output if error is None else None,
            input_text=sent[-1] if sent else "",
            raw_output=next((a.raw_output for a in reversed(attempts) if a.raw_output is not None), None),
            usage=Usage(
                input_tokens=sum(a.input_tokens for a in attempts),
                output_tokens=sum(a.output_tokens for a in attempts),
            ),
            latency_ms=round((loop.time() - started) * 1000),
            error=error,
            attempts=len(attempts),
        )

    try:
        model, close_client = providers.build_model(config, sent)
    except providers.NotConfigured as exc:
        return outcome(str(exc))

    agent: Agent[None, T] = Agent(
        model,
        output_type=output_type,
        instructions=instructions,
        # 0: a reply that fails validation is final, not re-prompted (that would be a second model call).
        retries={"tools": 0, "output": 0},
        model_settings=ModelSettings(max_tokens=max_tokens, max_retries=0),
    )
    timed_out = False
    try:
        async with asyncio.timeout_at(deadline_at):
            while True:
                attempt = _Attempt[T]()
                attempts.append(attempt)
                await _attempt(
                    agent,
                    user_text,
                    attempt,
                    deadline_at - loop.time(),
                    config.deadline_seconds,
                    explain_invalid,
                )
                if attempt.error is None or not attempt.retryable or len(attempts) >= MAX_ATTEMPTS:
                    break
                pause = attempt.retry_after if attempt.retry_after is not None else RETRY_PAUSE_SECONDS
                left_after_pause = deadline_at - loop.time() - pause
                if left_after_pause < config.deadline_seconds * RETRY_MIN_REMAINING_SHARE:
                    break
                log.info("LLM call failed (%s); retrying once in %.1f s", attempt.error, pause)
                await asyncio.sleep(pause)
    except TimeoutError:
        timed_out = True
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await close_client()

    error = f"timed out after {config.deadline_seconds:g} s" if timed_out else attempts[-1].error
    if error is not None:
        log.warning(
            "LLM call to %s gave no result after %d attempt(s): %s", config.model, len(attempts), error
        )
    return outcome(error)


async def _attempt(
    agent: Agent[None, T],
    user_text: str,
    attempt: _Attempt[T],
    time_left: float,
    deadline_seconds: float,
    explain_invalid: Callable[[str | None], str],
) -> None:
    """One request. Fills `attempt`; lets only cancellation (the overall deadline) through."""
    with capture_run_messages() as messages:
        try:
            result = await agent.run(
                user_text, model_settings=ModelSettings(request_timeout=max(time_left, 0.001))
            )
        except ModelRequestTimeout:
            attempt.error = f"timed out after {deadline_seconds:g} s"
        except ModelHTTPError as exc:
            attempt.error, attempt.retryable = _describe_http_error(exc)
            attempt.retry_after = exc.retry_after
        except ModelTimeoutError:
            attempt.error = "timed out waiting for the provider"
        except ModelConnectionError as exc:
            attempt.error = "could not reach the provider" + (f" ({exc.phase})" if exc.phase else "")
            attempt.retryable = True
        except ModelAuthenticationError:
            attempt.error = "provider rejected the credentials"
        except ModelAPIError as exc:
            attempt.error = f"provider error: {exc.message}"[:300]
        except ContentFilterError:
            attempt.error = "model refused"
        except OutputTokenLimitExceeded:
            attempt.error = "reply was cut off at the output token limit"
        except UnexpectedModelBehavior:
            attempt.error = explain_invalid(replies.raw_output(messages))
        except Exception as exc:  # never let a bug here leave a summary pending (invariant 4)
            log.exception("LLM engine failed unexpectedly")
            attempt.error = f"unexpected error in the LLM engine ({type(exc).__name__})"
        else:
            attempt.output = result.output
            attempt.raw_output = replies.raw_output(result.new_messages())
            attempt.input_tokens = result.usage.input_tokens
            attempt.output_tokens = result.usage.output_tokens
            return
        # A failed attempt may still have been answered (and billed): keep what it said.
        attempt.raw_output = replies.raw_output(messages)
        for message in messages:
            if isinstance(message, ModelResponse):
                attempt.input_tokens += message.usage.input_tokens
                attempt.output_tokens += message.usage.output_tokens


def _describe_http_error(exc: ModelHTTPError) -> tuple[str, bool]:
    """A sentence for the screen, and whether one retry may help."""
    status = exc.status_code
    if status == 429:
        return "rate limited (HTTP 429)", True
    if status == 529:
        return "provider overloaded (HTTP 529)", True
    if status >= 500:
        return f"provider returned HTTP {status}", True
    if status in (401, 403):
        return f"provider rejected the credentials (HTTP {status})", False
    detail = _provider_message(exc.body)
    return f"provider returned HTTP {status}" + (f": {detail}" if detail else ""), False


def _provider_message(body: object) -> str | None:
    """The vendor's own error message: `{"error": {"message": ...}}` (Anthropic, OpenAI) or the inner dict."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"][:200]
    return None
