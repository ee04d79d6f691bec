"""How insight values read: the shared formatters (core/formatting.py), with an en dash for no value,
and the change from the previous period."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cancellations.core import formatting

NOTHING = "\u2013"  # an en dash: no value (e.g. a rate over no orders)


def count(value: float | None) -> str:
    return formatting.count(value, empty=NOTHING)


def percent(value: float | None) -> str:
    return formatting.percent(value, empty=NOTHING)


def money(value: Decimal | float | None, currency: str) -> str:
    return formatting.money(value, currency, empty=NOTHING)


def duration(value: timedelta | float | None) -> str:
    return formatting.duration(value, empty=NOTHING)


Number = float | Decimal | timedelta | None


def change(current: Number, previous: Number, *, points: bool = False) -> str:
    """The change from the previous period: +12.5 % (relative), or +1.2 points for rates."""
    if isinstance(current, timedelta):
        current = current.total_seconds()
    if isinstance(previous, timedelta):
        previous = previous.total_seconds()
    if current is None or previous is None:
        return NOTHING
    if points:
        delta = (float(current) - float(previous)) * 100
        return _("%(sign)s%(value)s points") % {
            "sign": "+" if delta > 0 else "",
            "value": number_format(round(delta, 1), decimal_pos=1),
        }
    if not previous:
        return NOTHING
    relative = (float(current) - float(previous)) / abs(float(previous)) * 100
    return _("%(sign)s%(value)s %%") % {
        "sign": "+" if relative > 0 else "",
        "value": number_format(round(relative, 1), decimal_pos=1),
    }
