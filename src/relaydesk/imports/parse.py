"""Read a history file as a stream of records: CSV or JSON Lines, one row at a time (memory stays flat).

Row numbers are what a person finds in the file: for CSV the spreadsheet row (the header is row 1, so
the first ticket is row 2), for JSON Lines the line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

from relaydesk.imports.records import HistoryRecord, RowError
from relaydesk.imports.validate import COLUMNS, EXPECTED, REQUIRED, to_record

Format = Literal["csv", "jsonl"]

# Cells may hold a whole ticket's notes; the csv module's default (128 KiB) is too tight for some exports.
csv.field_size_limit(4 * 1024 * 1024)


class FormatError(ValueError):
    """The file as a whole is not one of ours (wrong header, not CSV/JSONL); nothing is imported."""


def detect_format(path: Path, declared: str | None = None) -> Format:
    name = (declared or path.suffix.lstrip(".")).lower()
    if name == "csv":
        return "csv"
    if name in ("jsonl", "ndjson", "json"):
        return "jsonl"
    raise FormatError(f"Cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format.")


def _check_columns(found: list[str], where: str) -> None:
    missing = [c for c in REQUIRED if c not in found]
    unknown = [c for c in found if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        raise FormatError(
            f"The {where} is not a Relaydesk history file ({'; '.join(parts)}). Expected columns: {EXPECTED}."
        )


def read_csv(stream: IO[str]) -> Iterator[HistoryRecord | RowError]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(f"The file is empty. Expected a header with the columns: {EXPECTED}.") from None
    except csv.Error as exc:
        raise FormatError(f"The file is not valid CSV ({exc}).") from None
    names = [h.strip().lower() for h in header]
    _check_columns(names, "header")
    row = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            yield RowError(row=row, reason=f"not valid CSV ({exc})")
            continue
        row += 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            yield RowError(row=row, reason=f"has {len(cells)} cells, the header has {len(names)}")
            continue
        yield to_record(row, dict(zip(names, cells, strict=True)))


def read_jsonl(stream: IO[str]) -> Iterator[HistoryRecord | RowError]:
    first = True
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if first:
                raise FormatError(
                    f"Line {line_number} is not JSON ({exc.msg}); expected JSON Lines."
                ) from None
            yield RowError(row=line_number, reason=f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            if first:
                raise FormatError("Expected JSON Lines: one object per line.")
            yield RowError(row=line_number, reason="not a JSON object")
            continue
        keys = [str(k).strip().lower() for k in obj]
        if first:
            _check_columns(keys, "first object")  # a file that is not ours stops here, whole
            first = False
        unknown = [k for k in keys if k not in COLUMNS]
        if unknown:
            yield RowError(row=line_number, reason=f"unknown keys {', '.join(unknown)}")
            continue
        yield to_record(line_number, {str(k).strip().lower(): v for k, v in obj.items()})


def read_records(stream: IO[str], fmt: Format) -> Iterator[HistoryRecord | RowError]:
    return read_csv(stream) if fmt == "csv" else read_jsonl(stream)


def open_text(path: Path) -> tuple[IO[bytes], IO[str]]:
    """The binary file (whose position drives a progress bar) and a text view of it (BOM tolerated)."""
    raw = path.open("rb")
    return raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict")
