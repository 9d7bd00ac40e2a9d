"""Email over SMTP (aiosmtplib): one multipart/alternative message per send.

The server is configured as one URL:

    smtp://user:pass@host:port               STARTTLS if the server offers it (port 25)
    smtp://user:pass@host:port?starttls=1    STARTTLS required (port 587)
    smtp://host:port?starttls=0              plain text, e.g. a relay on localhost
    smtp+starttls://user:pass@host           same as ?starttls=1 (port 587)
    smtps://user:pass@host                   implicit TLS from the first byte (port 465)

Other query parameters: `timeout` (seconds per SMTP operation, default 30)
and `verify=0` to accept a self-signed certificate on an internal relay.
Percent-encode `@`, `:` and `/` in the user name and password.

SMTP replies map the way RFC 5321 means them: 4xx is transient (retry), 5xx
is permanent. A refused login is permanent until someone fixes the password.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from relaydesk.outbound.outcome import DeliveryFailed, Sent, excerpt

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False  # implicit TLS (smtps)
    start_tls: bool | None = None  # None: upgrade when the server offers STARTTLS
    timeout: float = 30.0
    validate_certs: bool = True

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse `smtp://`, `smtp+starttls://` or `smtps://` (see the module docstring)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("SMTP URL must start with smtp://, smtp+starttls:// or smtps://")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        query = {key.lower(): values[-1].strip().lower() for key, values in parse_qs(parts.query).items()}
        use_tls = scheme == "smtps"
        start_tls: bool | None = True if scheme == "smtp+starttls" else None
        if "starttls" in query:
            start_tls = _flag(query["starttls"], "starttls")
        if use_tls and start_tls:
            raise ValueError("smtps:// is already TLS; drop starttls=1 or use smtp://")
        if use_tls:
            start_tls = False
        try:
            port = parts.port
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            raise ValueError("SMTP URL has an invalid port or timeout") from None
        if timeout <= 0:
            raise ValueError("SMTP timeout must be positive")
        return cls(
            host=parts.hostname,
            port=port or (465 if use_tls else 587 if start_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_tls=use_tls,
            start_tls=start_tls,
            timeout=timeout,
            validate_certs=_flag(query.get("verify", "1"), "verify"),
        )


def _flag(value: str, name: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"SMTP URL parameter {name} must be 1 or 0")


def _one_line(value: str) -> str:
    # A CR or LF in a header would end it early; the email package refuses them outright.
    return " ".join(value.splitlines()).strip()


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _one_line(sender)
    message["To"] = ", ".join(_one_line(address) for address in to)
    message["Subject"] = _one_line(subject)
    domain = sender.rpartition("@")[2].strip(" >") or None
    if message_id:
        message_id = _one_line(message_id).strip("<>")
        message["Message-ID"] = f"<{message_id}>"
    else:
        message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class _Smtp(aiosmtplib.SMTP):
    """aiosmtplib's client, telling the caller just before DATA: from then on the server may have
    the message even if no reply arrives (the one window in which a resend could double it)."""

    def __init__(self, *, before_data: Callable[[], Awaitable[None]] | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._before_data = before_data

    async def data(self, message: str | bytes, /, **kwargs: object) -> aiosmtplib.SMTPResponse:
        if self._before_data is not None:
            await self._before_data()
        return await super().data(message, **kwargs)  # type: ignore[arg-type]


async def send_email(
    config: SmtpConfig,
    *,
    sender: str,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None,
    message_id: str | None = None,
    before_data: Callable[[], Awaitable[None]] | None = None,
) -> Sent:
    """Send one message; `message_id` (e.g. from the delivery's idempotency key) keeps retries one thread.

    `before_data` is awaited after the envelope is accepted, before the DATA command. Returns the
    Message-ID as `external_id`.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise DeliveryFailed("The email has no recipients", retryable=False)
    try:
        message = build_message(
            sender=sender, to=recipients, subject=subject, text=text, html=html, message_id=message_id
        )
    except (ValueError, TypeError) as exc:
        # The addresses come from settings people type; a bad one will not get better.
        raise DeliveryFailed(
            f"The email could not be composed: {excerpt(str(exc), 160)}", retryable=False
        ) from exc
    try:
        client = _Smtp(
            before_data=before_data,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.start_tls,
            timeout=config.timeout,
            validate_certs=config.validate_certs,
        )
        async with client:  # what aiosmtplib.send does, with our client
            refused, _ = await client.send_message(message)
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _failure(exc, config) from exc
    detail = f"The SMTP server accepted the message for {len(recipients) - len(refused)} recipient(s)"
    if refused:
        detail += "; refused: " + ", ".join(f"{address} ({reply.code})" for address, reply in refused.items())
    return Sent(external_id=message["Message-ID"], detail=detail)


def _failure(exc: BaseException, config: SmtpConfig) -> DeliveryFailed:
    where = f"SMTP server {config.host}:{config.port}"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryFailed(
            f"{where} refused the login ({exc.code} {excerpt(exc.message, 120)}): "
            "check the SMTP user and password in Settings → Integrations",
            retryable=False,
            status=exc.code,
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
        replies = "; ".join(
            f"{refusal.recipient}: {refusal.code} {excerpt(refusal.message, 80)}"
            for refusal in exc.recipients
        )
        transient = any(400 <= code < 500 for code in codes)
        return DeliveryFailed(
            f"{where} refused every recipient ({replies})",
            retryable=transient,
            status=min(codes) if codes else None,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # Covers MAIL FROM, DATA and HELO refusals: the reply code says whether it is transient.
        return DeliveryFailed(
            f"{where} answered {exc.code} {excerpt(exc.message, 200)}",
            retryable=400 <= exc.code < 500,
            status=exc.code,
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or (
        # aiosmtplib says "STARTTLS/AUTH extension not supported" with the plain base class.
        type(exc) is aiosmtplib.SMTPException and "not supported" in exc.message
    ):
        return DeliveryFailed(
            f"{where} does not support what the settings ask for ({excerpt(exc.message, 120)}): "
            "check the TLS and login settings in Settings → Integrations",
            retryable=False,
        )
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError):
        return DeliveryFailed(f"{where} could not be reached: connecting timed out", retryable=True)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return DeliveryFailed(f"{where} did not answer within {config.timeout:g} s", retryable=True)
    if isinstance(exc, ssl.SSLError) or "ssl" in str(exc).lower():
        return DeliveryFailed(f"TLS with {where} failed: {excerpt(str(exc), 160)}", retryable=True)
    if isinstance(exc, ConnectionRefusedError) or "connect call failed" in str(exc).lower():
        return DeliveryFailed(
            f"{where} could not be reached: connection refused (is it down?)", retryable=True
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return DeliveryFailed(f"{where} could not be reached: {excerpt(str(exc), 160)}", retryable=True)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | ConnectionError):
        return DeliveryFailed(f"{where} dropped the connection: {excerpt(str(exc), 160)}", retryable=True)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return DeliveryFailed(f"{where} failed: {excerpt(message, 160)}", retryable=True)
