"""How insight values read in the active language: counts, percentages, money and durations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

NOTHING = "\u2013"  # an en dash: no value (e.g. a rate over no orders)


def count(value: float | None) -> str:
    return NOTHING if value is None else number_format(int(value), force_grouping=True)


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal: 0.125 -> 12.5 %."""
    if value is None:
        return NOTHING
    return _("%(value)s %%") % {"value": number_format(round(value * 100, 1), decimal_pos=1)}


def money(value: Decimal | float | None, currency: str) -> str:
    if value is None:
        return NOTHING
    formatted = number_format(Decimal(value), decimal_pos=2, force_grouping=True)
    return f"{formatted} {currency}".strip()


def duration(value: timedelta | float | None) -> str:
    """A short duration: 2 d 3 h, 1 h 12 min, 5 min, under a minute (a float is seconds)."""
    if value is None:
        return NOTHING
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    minutes = int(seconds // 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins and not days:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)


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
