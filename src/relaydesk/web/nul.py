"""Refuse NUL characters in request data with a 422 that names the field.

PostgreSQL text cannot hold U+0000, so a NUL that reaches a query fails there, as a 500, after
part of the request's work is done. Nothing people type needs one; the check runs before any
route (an app-wide dependency), over the path and query parameters, JSON bodies and form
fields. File uploads are bytes and may hold NULs; only their file names are checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from relaydesk.errors import BadInput

NUL = "\x00"


def _in_json(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                yield f"{where}.{str(key).replace(NUL, '?')}"
            else:
                yield from _in_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_json(item, f"{where}.{index}")


async def _fields_with_nul(request: Request) -> list[str]:
    found = [f"path.{k}" for k, v in request.path_params.items() if NUL in str(v)]
    found += [f"query.{k.replace(NUL, '?')}" for k, v in request.query_params.multi_items() if NUL in k + v]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:  # the cheap test first: most bodies have none
            try:
                found += list(_in_json(json.loads(body), "body"))
            except ValueError:
                pass  # not JSON: the route's own parsing answers 422 for that
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()  # parsed once; the route reads the same parsed form
        for key, value in form.multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            if NUL in key + text:
                found.append(f"form.{key.replace(NUL, '?')}")
    return found


async def reject_nul(request: Request) -> None:
    """App-wide dependency: a BadInput (422) naming every field that holds a NUL character."""
    fields = await _fields_with_nul(request)
    if fields:
        raise BadInput(
            f"{', '.join(fields)}: contains a NUL character (\\u0000), which text cannot hold; remove it.",
            errors=[{"field": f, "message": f"{f}: contains a NUL character"} for f in fields],
        )
