"""Whether this process sends email: on when an SMTP server is configured.

With email off, escalations and reminders create no email deliveries at all (rather than rows
that can only die with "no SMTP server"). The serving app sets it per request and the worker for
its loop, from `settings.smtp_url`; code that runs services directly (tests, the demo seed) gets
the default, on, and the worker that sends decides what happens to the rows.
"""

from __future__ import annotations

from contextvars import ContextVar

EMAIL_ON: ContextVar[bool] = ContextVar("relaydesk_email_on", default=True)


def email_on() -> bool:
    return EMAIL_ON.get()
