"""Security headers on every response (pages, API, static files, errors).

The Content-Security-Policy allows our own scripts and styles only: no inline script, no inline
style, no `eval`, nothing from elsewhere; `frame-ancestors 'none'` keeps the claim and escalate
buttons out of other sites' frames (clickjacking). HSTS only when the cookies are marked Secure,
i.e. the deployment says it is behind HTTPS.

One exception: FastAPI's interactive API docs (/api/docs) are Swagger UI, which loads its script
and style from a CDN and starts with an inline script. That page gets a policy that admits
exactly that, and nothing of ours relies on it; every other path gets the strict one. Attachments'
bytes get a stricter one still (ATTACHMENT_CSP): no script, no style, a sandbox.
"""

from __future__ import annotations

from typing import Any

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
# An attachment's bytes (relaydesk/attachments/serving.py): nothing may load or run, even when the
# file is opened on its own; an image may show itself.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"
ATTACHMENT_PATHS = "/api/v1/attachments/"
DOCS_PATHS = ("/api/docs", "/api/docs/oauth2-redirect")
HSTS = "max-age=31536000; includeSubDomains"


def _csp(path: str) -> str:
    if path in DOCS_PATHS:
        return DOCS_CSP
    return ATTACHMENT_CSP if path.startswith(ATTACHMENT_PATHS) else CSP


def security_headers(path: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", _csp(path).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    ]
    if hsts:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeaders:
    """ASGI middleware: adds the headers to each response start, replacing any of the same name."""

    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""), hsts=self.hsts)
        names = {name for name, _ in extra}

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
