"""The base of every JSON request body: unknown fields are refused, by name (DESIGN invariant 11).

A misspelt field would otherwise be dropped silently (a `psa_ticket_id` for `ticket_id` loses the
ticket number). `extra="forbid"` puts `additionalProperties: false` in the OpenAPI; the
before-validator turns pydantic's per-field "Extra inputs are not permitted" into one sentence
that names the field and the closest known one.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


def unknown_fields_message(unknown: list[str], known: list[str]) -> str:
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        parts.append(f"Unknown field {name}; did you mean {close[0]}?" if close else f"Unknown field {name}")
    allowed = ", ".join(sorted(known))
    return "; ".join(parts) + f". Known fields: {allowed}."


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = {name for name in cls.model_fields} | {
                field.alias for field in cls.model_fields.values() if field.alias
            }
            unknown = [str(key) for key in data if key not in known]
            if unknown:
                raise PydanticCustomError("unknown_field", unknown_fields_message(unknown, sorted(known)))
        return data
