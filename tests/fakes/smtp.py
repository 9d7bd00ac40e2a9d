"""An SMTP server (aiosmtpd) on a free local port that keeps what it receives.

AUTH PLAIN/LOGIN is offered without TLS (it is loopback) and checked against `users`.
`fail_next(stage, code, text)` answers the next MAIL, RCPT or DATA with that reply;
`hang_next(seconds)` stalls the next DATA. `stop()`/`start()` keep the port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Literal, Self, cast
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    login: str | None


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        reply = self.fake._take("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.fake._take("RCPT")
        if reply:
            return reply
        if address in self.fake.unknown_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.fake._lock:
            hang = self.fake._hangs.pop(0) if self.fake._hangs else None
        if hang:
            await asyncio.sleep(hang)
        reply = self.fake._take("DATA")
        if reply:
            return reply
        raw = cast(bytes, envelope.original_content or envelope.content)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.fake.messages.append(
            ReceivedMail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                message=message_from_bytes(raw, policy=policy.default),
                raw=raw,
                login=login,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class FakeSmtp:
    def __init__(self, *, users: dict[str, str] | None = None) -> None:
        self.users = {"relay@example.test": "correct horse"} if users is None else users
        self.unknown_recipients: set[str] = set()
        self.messages: list[ReceivedMail] = []
        self.port = 0
        self._lock = threading.Lock()
        self._replies: list[tuple[Stage, str]] = []
        self._hangs: list[float] = []
        self._controller: Controller | None = None

    def url(self, *, user: str | None = None, password: str | None = None, query: str = "starttls=0") -> str:
        auth = ""
        if user is not None:
            auth = (
                quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "") + "@"
            )
        return f"smtp://{auth}127.0.0.1:{self.port}?{query}"

    def fail_next(self, stage: Stage, code: int, text: str) -> None:
        with self._lock:
            self._replies.append((stage, f"{code} {text}"))

    def hang_next(self, seconds: float) -> None:
        with self._lock:
            self._hangs.append(seconds)

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self._hangs.clear()
        self.messages.clear()
        self.unknown_recipients.clear()

    def _take(self, stage: Stage) -> str | None:
        with self._lock:
            for index, (wanted, reply) in enumerate(self._replies):
                if wanted == stage:
                    del self._replies[index]
                    return reply
        return None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        return AuthResult(success=self.users.get(login) == password, handled=False, auth_data=auth_data)

    def start(self) -> None:
        if self._controller is not None:
            return
        if not self.port:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
        controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="fake-smtp.test",
            authenticator=self._authenticate,
            auth_require_tls=False,
            ready_timeout=5,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
