"""The one error tree. Services raise these; api and pages render them.

RelaydeskError
├── BadInput            422  the request is well-formed but makes no sense
├── NotAuthenticated    401
├── NotPermitted        403
├── NotFound            404  also for another account's rows: never confirm they exist
├── Conflict            409
├── TooLarge            413  an upload over a size limit (the message names the size and the limit)
└── TooManyRequests     429
"""

from __future__ import annotations

from typing import Any


class RelaydeskError(Exception):
    status_code: int = 400
    title: str = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadInput(RelaydeskError):
    status_code = 422
    title = "Invalid input"


class NotAuthenticated(RelaydeskError):
    status_code = 401
    title = "Not signed in"


class NotPermitted(RelaydeskError):
    status_code = 403
    title = "Not permitted"


class NotFound(RelaydeskError):
    status_code = 404
    title = "Not found"


class Conflict(RelaydeskError):
    status_code = 409
    title = "Conflict"


class TooLarge(RelaydeskError):
    status_code = 413
    title = "Request too large"


class TooManyRequests(RelaydeskError):
    status_code = 429
    title = "Too many requests"
