"""Reading policy JSON tolerantly but strictly typed: a missing key takes its default, a wrong kind of value
raises `PolicyDataError` naming the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import models

from cancellations.policy.errors import PolicyDataError

_T = TypeVar("_T")
_Missing = object()


def section(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = data.get(key, _Missing)
    if value is _Missing or value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyDataError(f"{path}{key} must be an object.", field=f"{path}{key}")
    return value


def read(data: Mapping[str, Any], key: str, default: _T, parse: Callable[[Any], _T], path: str) -> _T:
    value = data.get(key, _Missing)
    if value is _Missing:
        return default
    try:
        return parse(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise PolicyDataError(f"{path}{key}: {exc}", field=f"{path}{key}") from None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"expected true or false, got {value!r}")


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(value)


def as_opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else as_int(value)


def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def as_opt_str(value: Any) -> str | None:
    return None if value is None else as_str(value)


def as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"expected a number, got {value!r}")
    # A float from a JSON client goes through its shortest text form, so 0.1 stays 0.1.
    number = Decimal(str(value) if isinstance(value, float) else value)
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def as_opt_decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else as_decimal(value)


def as_strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of text, got {value!r}")
    return tuple(as_str(item) for item in value)


def as_labels(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected an object of language: text, got {value!r}")
    return {as_str(lang): as_str(text) for lang, text in value.items()}


def as_choice(choices: type[models.TextChoices]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if value not in choices.values:
            raise ValueError(f"expected one of {', '.join(choices.values)}, got {value!r}")
        return choices(value)

    return parse


def decimal_out(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v.strip())


class Coerced:
    """Accepts the plain values a form or a test passes (a choice's string, a list, an int amount) and keeps
    the typed ones, so equal settings compare equal however they were built."""

    _choices: dict[str, type[models.TextChoices]] = {}
    _tuples: tuple[str, ...] = ()
    _decimals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, choices in self._choices.items():
            value = getattr(self, name)
            if not isinstance(value, choices):
                object.__setattr__(self, name, choices(value))
        for name in self._tuples:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        for name in self._decimals:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                object.__setattr__(self, name, as_decimal(value))
