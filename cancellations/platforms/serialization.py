"""Values that cross the platform interface as plain JSON, for the effect ledger: Decimals and datetimes
as strings, dataclasses as dicts (without the fields marked `stored=False`, with their change `kind`)."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    """A dataclass (requests, results) as plain JSON values; Decimals become strings."""
    if is_dataclass(value) and not isinstance(value, type):
        data = asdict(value)
        for f in fields(value):
            if f.metadata.get("stored") is False:
                data.pop(f.name, None)
        if hasattr(value, "kind"):
            data["kind"] = value.kind
        return _jsonable(data)
    return _jsonable(value)
