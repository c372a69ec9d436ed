"""Machine-readable output of lists of records: JSON (UTF-8, not ASCII-escaped) and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from typing import Any


def to_json(data: Any, *, compact: bool = False) -> str:
    """Strict JSON (no NaN or Infinity: a value that is not a finite number is a bug, not output).
    `compact`: one line, for large documents meant for programs (a report's template data)."""
    return json.dumps(data, ensure_ascii=False, indent=None if compact else 2, default=str, allow_nan=False) + "\n"


def plain(value: Any) -> Any:
    """Dataclasses, lists and dicts as plain JSON-ready values, like dataclasses.asdict but
    without deep-copying every leaf (a report's context holds each row several times)."""
    names = _FIELD_NAMES.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row; lists are joined with “、”; a cell that a spreadsheet would treat as a
    formula (=, +, -, @ at the start) is prefixed with a quote so it stays text."""
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = "、".join(_cell(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_number(text)):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
