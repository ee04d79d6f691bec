"""Building what the conditions read from the database: an order's facts and the store's context."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db.models import Count, Q

from cancellations.models import FreightForwarderAddress, LineItem, Order
from cancellations.rules.conditions import LineFacts, OrderFacts, RuleContext
from cancellations.rules.normalise import normalise_address
from tenants.models import Store


def order_facts(
    order: Order, *, lines: Iterable[LineItem] | None = None, recent_orders: Mapping[int, int] | None = None
) -> OrderFacts:
    """The plain snapshot of an order the conditions look at."""
    items = order.line_items.all() if lines is None else lines
    return OrderFacts(
        email=order.email,
        total=order.total,
        currency=order.currency,
        risk_level=order.risk_level,
        risk_recommendation=order.risk_recommendation,
        shipping_address=dict(order.shipping_address or {}),
        billing_address=dict(order.billing_address or {}),
        tags=tuple(order.tags),
        discount_codes=tuple(order.discount_codes),
        payment_gateways=tuple(order.payment_gateways),
        lines=tuple(
            LineFacts(product_type=line.product_type, product_tags=tuple(line.product_tags), sku=line.sku)
            for line in items
        ),
        recent_orders=dict(recent_orders or {}),
    )


def recent_order_counts(*, store: Store, order: Order, days: Iterable[int]) -> dict[int, int]:
    """For each number of days: the orders with this order's email placed in those days up to it."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    if not order.email:
        return dict.fromkeys(wanted, 1)
    counts = (
        Order.objects.for_store(store)
        .filter(email=order.email, placed_at__lte=order.placed_at)
        .aggregate(
            **{
                f"d{n}": Count("id", filter=Q(placed_at__gte=order.placed_at - timedelta(days=n)))
                for n in wanted
            }
        )
    )
    return {n: max(int(counts[f"d{n}"] or 0), 1) for n in wanted}


class RecentOrders:
    """Counts of orders per customer over a span of time, from one read (for previews over many orders)."""

    def __init__(self, placed: Iterable[tuple[str, datetime]]) -> None:
        times: dict[str, list[datetime]] = defaultdict(list)
        for email, placed_at in placed:
            if email:
                times[email].append(placed_at)
        self._times = {email: sorted(values) for email, values in times.items()}

    @classmethod
    def load(cls, *, store: Store, since: datetime) -> RecentOrders:
        rows = Order.objects.for_store(store).filter(placed_at__gte=since).values_list("email", "placed_at")
        return cls(rows)

    def counts(self, order: Order, days: Iterable[int]) -> dict[int, int]:
        times = self._times.get(order.email, [])
        upto = bisect.bisect_right(times, order.placed_at)
        result = {}
        for n in set(days):
            start = bisect.bisect_left(times, order.placed_at - timedelta(days=n))
            result[n] = max(upto - start, 1)
        return result


def rule_context(*, store: Store, with_forwarders: bool = True) -> RuleContext:
    """The store-wide facts the conditions need (the forwarder list only when a rule asks for it)."""
    if not with_forwarders:
        return RuleContext()
    forwarders = FreightForwarderAddress.objects.for_store(store).only(
        "store", "address1", "address2", "city", "zip", "country_code"
    )
    return RuleContext(forwarders=tuple(normalise_address(entry.as_mirror()) for entry in forwarders))
