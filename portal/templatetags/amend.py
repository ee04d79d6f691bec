"""Template helpers: store-aware URLs, money, durations and times on the store's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cancellations.core import formatting
from cancellations.core.clock import zone_abbreviation
from cancellations.models import RequestStatus
from cancellations.orders import describe
from portal.app_proxy import FORM_TOKEN_FIELD, app_proxy, make_form_token
from portal.customer.address import COUNTRIES
from portal.live_status import status_tone as _status_tone
from portal.tenancy import store_url as _store_url
from tenants.roles import Role

register = template.Library()


@register.simple_tag(takes_context=True)
def store_url(context: dict[str, Any], name: str, **kwargs: Any) -> str:
    """`{% store_url "customer:order" order_id=order.pk %}` for the store the page belongs to."""
    request = context["request"]
    store = context.get("brand_store") or context.get("store")
    return _store_url(request, name, store, **kwargs)


@register.simple_tag(takes_context=True)
def form_guard(context: dict[str, Any]) -> SafeString:
    """What proves a form was sent from the page it was shown on: Django's CSRF token, or through
    Shopify's app proxy (no cookies there) a short-lived token bound to the shop, customer and path."""
    request = context["request"]
    proxy = app_proxy(request)
    if proxy is not None:
        return format_html(
            '<input type="hidden" name="{}" value="{}">',
            FORM_TOKEN_FIELD,
            make_form_token(proxy, request.path),
        )
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`mapping[key]`, or "" when there is no mapping or no such key."""
    return (mapping or {}).get(key, "")


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "") -> str:
    """A localised amount with two decimals and its currency code: 1 234,50 SEK / 1,234.50 USD."""
    return formatting.money(amount, currency)


@register.filter
def duration(value: timedelta | None) -> str:
    """A short human duration: 2 days 3 h, 1 h 12 min, 5 min, under a minute."""
    return formatting.duration(value)


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
    return formatting.percent(value)


@register.filter
def when(value: datetime | None, style: str = "DATETIME_FORMAT") -> str:
    """A moment on the page's clock (the store's zone) with the zone's name: "2 dec. 2026 11:32 NZDT"."""
    if value is None or value == "":
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{formats.date_format(local, style)} {zone_abbreviation(value)}"


@register.filter
def status_tone(status: str) -> str:
    """The badge colour of a request status: ok, warn, bad, or "" (neutral)."""
    return _status_tone(status)


@register.filter
def event_label(action: str) -> str:
    """What happened to a request, in words (events store the bare action)."""
    return describe.event_label(action)


@register.filter
def event_details(data: dict[str, Any] | None) -> list[str]:
    """An event's recorded data as lines of words."""
    return describe.event_details(data)


@register.filter
def role_label(role: str) -> str:
    """A store role's name in the reader's language ("Agent", "Handläggare"), never the bare code."""
    try:
        return str(Role(role).label)
    except ValueError:
        return role


@register.filter
def country_name(code: str | None) -> str:
    """A country code as its name in the active language (SE -> Sweden, Sverige); unknown codes stay."""
    return next((str(name) for value, name in COUNTRIES if value == (code or "").upper()), code or "")


@register.filter
def refund_in_words(order_request: Any) -> str:
    """Where a cancellation's money goes, in words: to the original payment, or store credit and its
    bonus ("Store credit: 40.00 USD + bonus 4.00 USD = 44.00 USD"); empty when nothing is refunded."""
    amount = order_request.refund_amount or Decimal("0")
    bonus = getattr(order_request, "store_credit_bonus", None) or Decimal("0")
    currency = order_request.currency or order_request.order.currency
    if amount <= 0 and bonus <= 0:
        return ""
    values = {
        "amount": formatting.money(amount, currency),
        "bonus": formatting.money(bonus, currency),
        "total": formatting.money(amount + bonus, currency),
    }
    if order_request.refund_method == "store_credit":
        if bonus > 0:
            return _("Store credit: %(amount)s + bonus %(bonus)s = %(total)s") % values
        return _("Store credit: %(amount)s") % values
    return _("Refund to the original payment method: %(amount)s") % values
