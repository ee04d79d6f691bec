"""What the Insights pages read besides orders and requests: kept orders, and daily rollups.

The rollups (`DailyStoreStats`, `DailyBreakdown`, `DailyRequestStats`) are a cache of what
`cancellations.insights.rollups` computes from orders, line items, requests and kept orders, by day in
the store's time zone. They are rebuilt from scratch by `manage.py rebuild_insights` and refreshed by
a task; `InsightsRollup` says up to which day they may be trusted and in which time zone they were cut.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.fields import MoneyField
from cancellations.models.orders import Order
from tenants.scoping import TenantModel

# Foreign keys other than `store` carry no index of their own (db_index=False): every index on a tenant
# table leads with store_id.


class RetentionOutcome(TenantModel):
    """A customer was shown a retention offer and kept their order instead of cancelling it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    # A `cancellations.policy.RetentionKind` value (not a choices field: the policy package imports models).
    offer_kind = models.CharField(max_length=20)
    discount_code = models.CharField(max_length=100, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)
    order_total = MoneyField()
    currency = models.CharField(max_length=3, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            # An order is kept once; showing the offer again later changes nothing.
            models.UniqueConstraint(fields=["store", "order"], name="retention_outcome_store_order")
        ]
        indexes = [models.Index(fields=["store", "accepted_at"], name="retention_outcome_accepted")]
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.offer_kind} kept order {self.order_id}"


class DailyStoreStats(TenantModel):
    """Orders placed on one day (in the store's time zone), and how many of those were cancelled since."""

    day = models.DateField()
    placed = models.PositiveIntegerField(default=0)
    placed_value = MoneyField()
    cancelled = models.PositiveIntegerField(default=0)
    cancelled_value = MoneyField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="daily_store_stats_store_day")]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.cancelled}/{self.placed}"


class InsightDimension(models.TextChoices):
    PRODUCT = "product", _("Product")
    PRODUCT_TYPE = "product_type", _("Product type")
    CANCEL_DELAY = "cancel_delay", _("Time from order to cancellation")
    RETENTION = "retention", _("Retention offer")


class DailyBreakdown(TenantModel):
    """One day's orders split by a dimension: a product, a product type, a delay, a retention offer.

    For products, product types and delays the day is the one the orders were placed; `orders` counts
    the day's orders with the key (for products and delays only cancelled orders are kept, which bounds
    the table by the number of cancellations), `cancelled` those cancelled since and `value` the value
    cancelled. For retention offers the day is the one the customer kept the order; `orders` counts the
    orders kept, `cancelled` those cancelled since all the same, and `value` the value still kept.
    """

    day = models.DateField()
    dimension = models.CharField(max_length=20, choices=InsightDimension.choices)
    key = models.CharField(max_length=255)
    orders = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    value = MoneyField()

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "dimension", "day", "key"], name="daily_breakdown_store_dimension_day"
            )
        ]
        ordering = ["day", "dimension", "key"]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}: {self.cancelled}/{self.orders}"


class DailyRequestStats(TenantModel):
    """Requests made on one day (in the store's time zone), counted by everything Insights splits them by."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    resolution = models.CharField(max_length=20, blank=True)
    reason_code = models.CharField(max_length=60, blank=True)
    decided_by_staff = models.BooleanField(default=False)
    offer_shown = models.BooleanField(default=False)
    completed = models.BooleanField(default=False)
    requests = models.PositiveIntegerField(default=0)
    refunds = MoneyField()
    fees = MoneyField()
    # Refunds paid as store credit instead of money: revenue the store kept.
    kept_as_credit = MoneyField()

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "store",
                    "day",
                    "kind",
                    "resolution",
                    "reason_code",
                    "decided_by_staff",
                    "offer_shown",
                    "completed",
                ],
                name="daily_request_stats_store_day",
            )
        ]
        ordering = ["day", "kind"]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.resolution or 'open'}: {self.requests}"


class InsightsRollup(TenantModel):
    """How far a store's rollups reach: every day up to `built_through` is complete, cut in `timezone`."""

    timezone = models.CharField(max_length=64)
    built_through = models.DateField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store"], name="insights_rollup_store")]

    def __str__(self) -> str:
        return f"rollup through {self.built_through} ({self.timezone})"
