"""The built-in store's order as the platform interface describes orders (it is its own platform)."""

from __future__ import annotations

from cancellations.models import Order
from cancellations.platforms.base import LineSnapshot, OrderSnapshot


def snapshot_of(order: Order) -> OrderSnapshot:
    """The mirror's own order as a snapshot (the built-in store is its own platform)."""
    return OrderSnapshot(
        platform_id=order.platform_id,
        name=order.name,
        number=order.number,
        placed_at=order.placed_at,
        updated_at=order.platform_updated_at,
        currency=order.currency,
        email=order.email,
        customer_name=order.customer_name,
        customer_locale=order.customer_locale,
        subtotal=order.subtotal,
        shipping=order.shipping,
        tax=order.tax,
        discount=order.discount,
        total=order.total,
        refunded=order.refunded,
        financial_status=order.financial_status,
        fulfillment_status=order.fulfillment_status,
        cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason,
        risk_level=order.risk_level,
        risk_recommendation=order.risk_recommendation,
        tags=tuple(order.tags),
        discount_codes=tuple(order.discount_codes),
        payment_gateways=tuple(order.payment_gateways),
        shipping_address=dict(order.shipping_address),
        billing_address=dict(order.billing_address),
        lines=tuple(
            LineSnapshot(
                platform_id=line.platform_id,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
                fulfilled_quantity=line.fulfilled_quantity,
                total_discount=line.total_discount,
                variant_title=line.variant_title,
                sku=line.sku,
                product_id=line.product_id,
                variant_id=line.variant_id,
                product_type=line.product_type,
                product_tags=tuple(line.product_tags),
            )
            for line in order.line_items.all()
        ),
    )
