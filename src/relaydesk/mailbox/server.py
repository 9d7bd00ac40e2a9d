"""An SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives in memory, for `relaydesk demo`.

The demo points RELAYDESK_SMTP_URL at it, so escalation emails really go out over SMTP and land
here instead of failing with "no SMTP server". Loopback only, no relaying anywhere, the newest
`keep` messages kept: it is a demo's inbox, not a mail server.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    number: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    text: str
    html: str | None

    def for_address(self, address: str) -> bool:
        return address.lower() in (rcpt.lower() for rcpt in self.rcpt_tos)


def _parts(message: EmailMessage) -> tuple[str, str | None]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else None
    return str(text), (str(html) if html is not None else None)


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = cast(bytes, envelope.original_content or envelope.content)
        message: EmailMessage = message_from_bytes(raw, policy=policy.default)
        self.mailbox.add(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        return "250 2.0.0 Message accepted"


class Mailbox:
    def __init__(self, *, keep: int = 500) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._mail: deque[Mail] = deque(maxlen=keep)
        self._numbers = itertools.count(1)
        self._controller: Controller | None = None

    @property
    def smtp_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0"

    def start(self) -> Mailbox:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def add(self, mail_from: str, rcpt_tos: list[str], message: EmailMessage) -> None:
        text, html = _parts(message)
        with self._lock:
            self._mail.append(
                Mail(
                    number=next(self._numbers),
                    received_at=datetime.now(UTC),
                    mail_from=mail_from,
                    rcpt_tos=tuple(rcpt_tos),
                    subject=str(message.get("Subject", "")),
                    text=text,
                    html=html,
                )
            )

    def for_address(self, address: str) -> list[Mail]:
        """Messages to `address`, newest first."""
        with self._lock:
            return [mail for mail in reversed(self._mail) if mail.for_address(address)]

    def get(self, number: int, address: str) -> Mail | None:
        with self._lock:
            for mail in self._mail:
                if mail.number == number and mail.for_address(address):
                    return mail
        return None
