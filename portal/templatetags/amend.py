"""Template helpers: store-aware URLs, money and durations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cancellations.models import RequestStatus
from portal.tenancy import store_url as _store_url

register = template.Library()


@register.simple_tag(takes_context=True)
def store_url(context: dict[str, Any], name: str, **kwargs: Any) -> str:
    """`{% store_url "customer:order" order_id=order.pk %}` for the store the page belongs to."""
    request = context["request"]
    store = context.get("brand_store") or context.get("store")
    return _store_url(request, name, store, **kwargs)


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "") -> str:
    """A localised amount with two decimals and its currency code: 1 234,50 SEK / 1,234.50 USD."""
    if amount is None:
        return ""
    formatted = number_format(Decimal(amount), decimal_pos=2, force_grouping=True)
    return f"{formatted} {currency}".strip()


@register.filter
def duration(value: timedelta | None) -> str:
    """A short human duration: 2 d 3 h, 1 h 12 min, 5 min, less than a minute."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
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


@register.filter
def status_label(status: str) -> str:
    """The human name of a request status (events store the bare value)."""

    try:
        return str(RequestStatus(status).label)
    except ValueError:
        return status


@register.filter
def percent(value: float | None) -> str:
    """0.1234 -> "12.3 %" in the active locale."""
    if value is None:
        return ""
    return f"{number_format(Decimal(value * 100), decimal_pos=1)} %"
