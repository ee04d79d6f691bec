"""What changed between two policies, field by field, for the version history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cancellations.policy.schema import StorePolicy

_ABSENT = None


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", out)
        return
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, Mapping) and "code" in item for item in value)
    ):
        # Lists of reasons are compared by code, so reordering or adding one names only what moved.
        for index, item in enumerate(value):
            _flatten(
                {key: val for key, val in item.items() if key != "code"}, f"{prefix}{item['code']}.", out
            )
            out[f"{prefix}{item['code']}.position"] = index
        return
    out[prefix.rstrip(".")] = value


def flatten_policy(policy: StorePolicy) -> dict[str, Any]:
    """The policy as {dotted field path: value}, leaves only (lists of plain values are leaves)."""
    out: dict[str, Any] = {}
    _flatten({key: value for key, value in policy.to_dict().items() if key != "schema"}, "", out)
    return out


def policy_changes(before: StorePolicy, after: StorePolicy) -> list[dict[str, Any]]:
    """Each changed field as {"field", "before", "after"}, in a stable order (missing side: None)."""
    old, new = flatten_policy(before), flatten_policy(after)
    fields = list(dict.fromkeys([*old, *new]))
    return [
        {"field": name, "before": old.get(name, _ABSENT), "after": new.get(name, _ABSENT)}
        for name in fields
        if old.get(name, _ABSENT) != new.get(name, _ABSENT)
    ]
