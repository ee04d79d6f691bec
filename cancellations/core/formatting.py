"""How numbers read in the active language: money, counts, percentages and durations.

The one formatter for each, shared by pages (the `amend` template filters), emails and the insights
tables. `empty` is what a missing value reads as: nothing on a page, an en dash in a table.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def money(value: Decimal | int | float | None, currency: str = "", *, empty: str = "") -> str:
    """A localised amount with two decimals and its currency code: 1 234,50 SEK / 1,234.50 USD."""
    if value is None:
        return empty
    formatted = number_format(Decimal(value), decimal_pos=2, force_grouping=True)
    return f"{formatted} {currency}".strip()


def count(value: float | None, *, empty: str = "") -> str:
    """A whole number with the locale's grouping: 12,345 / 12 345."""
    return empty if value is None else number_format(int(value), force_grouping=True)


def percent(value: float | None, *, empty: str = "") -> str:
    """A share as a percentage with one decimal: 0.125 -> 12.5 %."""
    if value is None:
        return empty
    return _("%(value)s %%") % {"value": number_format(round(value * 100, 1), decimal_pos=1)}


def duration(value: timedelta | float | None, *, empty: str = "") -> str:
    """A short duration: 2 days 3 h, 1 h 12 min, 5 min, under a minute (a float is seconds)."""
    if value is None:
        return empty
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
