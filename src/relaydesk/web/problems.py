"""RFC 9457 problem details on the JSON API; readable pages elsewhere."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from relaydesk.errors import RelaydeskError
from relaydesk.web.headers import security_headers

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://relaydesk.dev/problems/"


class Problem(BaseModel):
    """RFC 9457 problem details, as every JSON API error is answered."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(
        default=None, description="For 422: each field that was refused and why."
    )


_PROBLEM_SCHEMA = Problem.model_json_schema()
_ERRORS = {
    400: "Bad request",
    401: "Not signed in: no or an unknown Bearer token or session cookie",
    403: "Not permitted for this role, or a missing CSRF token on a cookie request",
    404: "No such object in your account (another account's objects are never confirmed)",
    409: "Conflict with the current state (e.g. already claimed, naming who and when)",
    413: "The body is over the size limit",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests; see Retry-After",
    500: "Internal error; nothing was saved",
    502: "The PSA did not answer usefully (ticket lookups)",
    503: "Live updates are not running in this process",
}


def problem_responses(*extra: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an API router: every error as application/problem+json."""
    described = {**_ERRORS, **dict(extra)}
    return {
        code: {"description": text, "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}
        for code, text in sorted(described.items())
    }


RESPONSES = problem_responses()


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def validation_message(exc: Any) -> str:
    """One readable sentence from a pydantic ValidationError, for forms."""
    return "; ".join(_describe(e) for e in exc.errors()) or "The form is invalid."


def _stack(exc: BaseException) -> str:
    """The traceback of `exc` and its causes without any exception message."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 5:
        frames = "".join(traceback.format_list(traceback.extract_tb(seen.__traceback__)))
        parts.append(f"{frames}{type(seen).__module__}.{type(seen).__qualname__}")
        seen = seen.__cause__ or seen.__context__
    return "\nwhile handling, or caused by:\n".join(reversed(parts))


async def unexpected_error(request: Request, exc: Exception, render_page_error: Any) -> Response:
    """The 500 for an exception nothing else handled: logged without any request data, answered
    as a problem (API) or a page."""
    # At error level the exception types and where they came from, never their messages: a
    # database error quotes the values people typed. The messages go to debug.
    log.error("unhandled error on %s %s\n%s", request.method, request.url.path, _stack(exc))
    log.debug("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "Something went wrong on our side; nothing was saved. Try again; tell an admin if it recurs."
    if is_api(request):
        response: Response = problem(500, "Internal error", detail)
    else:
        response = await render_page_error(request, 500, "Internal error", detail, None)
    # This handler runs outside the middleware (Starlette's ServerErrorMiddleware), so the
    # security headers are set here too.
    hsts = bool(getattr(getattr(request.app.state, "settings", None), "secure_cookies", False))
    for name, value in security_headers(request.url.path, hsts=hsts):
        response.headers[name.decode()] = value.decode()
    return response


def install(app: FastAPI, render_page_error: Any) -> None:
    async def relaydesk_error(request: Request, exc: RelaydeskError) -> Response:
        if is_api(request):
            return problem(exc.status_code, exc.title, exc.detail, headers=exc.headers, **exc.extra)
        return await render_page_error(request, exc.status_code, exc.title, exc.detail, exc.headers)

    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(map(str, e.get("loc", ()))), "message": _describe(e)} for e in exc.errors()
        ]
        detail = "; ".join(e["message"] for e in errors) or "The request is invalid."
        if is_api(request):
            return problem(422, "Invalid input", detail, errors=errors)
        return await render_page_error(request, 422, "Invalid input", detail, None)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        title = titles.get(exc.status_code, "Error")
        if is_api(request):
            return problem(exc.status_code, title, detail, headers=getattr(exc, "headers", None))
        return await render_page_error(request, exc.status_code, title, detail, getattr(exc, "headers", None))

    async def unexpected(request: Request, exc: Exception) -> Response:
        return await unexpected_error(request, exc, render_page_error)

    app.add_exception_handler(RelaydeskError, relaydesk_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected)


class BodyLimit:
    """Refuse bodies over the limit before reading them whole (413), counting chunked ones too.

    `larger`: (path pattern, limit, message) for the few routes that take more (file uploads); the
    message gets the body's declared length when there is one. A page path's refusal is a page
    (`render_page`, the app's error page), an API path's a problem."""

    def __init__(
        self,
        app: Any,
        max_bytes: int,
        *,
        larger: Sequence[tuple[str, int, Callable[[int | None], str]]] = (),
        render_page: Any = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = [(re.compile(pattern), limit, message) for pattern, limit, message in larger]
        self.render_page = render_page

    def _rule(self, path: str) -> tuple[int, Callable[[int | None], str]]:
        for pattern, limit, message in self.larger:
            if pattern.match(path):
                return limit, message
        return (
            self.max_bytes,
            lambda _length: f"The body is over the {self.max_bytes // 1000} kB limit; send less text.",
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, message = self._rule(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None

        async def too_large(detail: str) -> None:
            request = Request(scope)
            if self.render_page is not None and not is_api(request):
                response = await self.render_page(request, 413, "Request too large", detail, None)
            else:
                response = problem(413, "Request too large", detail)
            await response(scope, receive, send)

        if declared is not None and declared > max_bytes:
            await too_large(message(declared))
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message_in = await receive()
            if message_in["type"] == "http.request":
                seen += len(message_in.get("body", b""))
                if seen > max_bytes:
                    raise _TooLarge(413, message(None))
            return message_in

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge as exc:
            await too_large(str(exc.detail))


class _TooLarge(HTTPException):
    """An HTTPException so FastAPI's body parser re-raises it as is (a 413, not a 400)."""
