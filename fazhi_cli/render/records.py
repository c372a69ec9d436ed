"""Machine-readable output of lists of records: JSON (UTF-8, not ASCII-escaped) and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any


def to_json(data: Any) -> str:
    """Strict JSON (no NaN or Infinity: a value that is not a finite number is a bug, not output)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str, allow_nan=False) + "\n"


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
