"""Recording what Insights counts that nothing else records: an order kept after a retention offer."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import Order, RetentionOutcome
from tenants.errors import NotFound
from tenants.models import Store


def record_retention_kept(
    *, store: Store, order: Order, offer_kind: str, discount_code: str = ""
) -> RetentionOutcome:
    """Record that a customer shown a retention offer kept the order; once per order (a repeat returns it)."""
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    existing = RetentionOutcome.objects.for_store(store).filter(order=order).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: a double submit racing this one hits the unique constraint, not a broken transaction.
        with transaction.atomic():
            return RetentionOutcome.objects.create(
                store=store,
                order=order,
                offer_kind=str(offer_kind),
                discount_code=discount_code[:100],
                accepted_at=timezone.now(),
                order_total=order.total,
                currency=order.currency,
            )
    except IntegrityError:
        return RetentionOutcome.objects.for_store(store).get(order=order)
