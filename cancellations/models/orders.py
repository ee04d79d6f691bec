"""The mirror of a store's orders, as its commerce platform (or the built-in store) last told us."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cancellations.models.fields import MoneyField
from tenants.scoping import TenantModel


class FinancialStatus(models.TextChoices):
    PENDING = "pending", _("Payment pending")
    AUTHORIZED = "authorized", _("Authorized")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    VOIDED = "voided", _("Voided")


# An order in one of these has money the customer paid that a cancellation gives back.
PAID_STATES: frozenset[str] = frozenset(
    {FinancialStatus.PAID, FinancialStatus.PARTIALLY_PAID, FinancialStatus.PARTIALLY_REFUNDED}
)


class FulfillmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("Not yet shipped")
    PARTIAL = "partial", _("Partly shipped")
    FULFILLED = "fulfilled", _("Shipped")
    RESTOCKED = "restocked", _("Restocked")


class RiskLevel(models.TextChoices):
    NONE = "", _("Not assessed")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RiskRecommendation(models.TextChoices):
    NONE = "", _("None")
    ACCEPT = "accept", _("Accept")
    INVESTIGATE = "investigate", _("Investigate")
    CANCEL = "cancel", _("Cancel")


class Order(TenantModel):
    platform_id = models.CharField(max_length=64, help_text="The order's id on its platform.")
    name = models.CharField(max_length=64, help_text="What the customer sees, e.g. #1001.")
    number = models.PositiveBigIntegerField(null=True, blank=True)
    email = models.EmailField(blank=True, help_text="The customer's email, lower-cased.")
    customer_name = models.CharField(max_length=200, blank=True)
    customer_locale = models.CharField(max_length=16, blank=True)
    customer_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The customer's id on the platform (Shopify: gid://shopify/Customer/<n>); blank: a guest.",
    )
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    subtotal = MoneyField()
    shipping = MoneyField()
    tax = MoneyField()
    discount = MoneyField()
    total = MoneyField()
    refunded = MoneyField()
    financial_status = models.CharField(
        max_length=20, choices=FinancialStatus.choices, default=FinancialStatus.PENDING
    )
    fulfillment_status = models.CharField(
        max_length=20, choices=FulfillmentStatus.choices, default=FulfillmentStatus.UNFULFILLED
    )
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer received the goods; starts the withdrawal period."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=40, blank=True)
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, blank=True, default=RiskLevel.NONE
    )
    risk_recommendation = models.CharField(
        max_length=12, choices=RiskRecommendation.choices, blank=True, default=RiskRecommendation.NONE
    )
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    # Tags Amend added (an automation rule) that the platform has not confirmed yet: pushed by the task
    # `orders.push_tags`, sent again by the sweep until the platform took them, kept through syncs.
    tags_to_push = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    discount_codes = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    payment_gateways = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised by one on every change we record.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "platform_id"], name="order_store_platform_id")
        ]
        indexes = [
            models.Index(fields=["store", "-placed_at", "-id"], name="order_store_placed"),
            models.Index(fields=["store", "email", "-placed_at"], name="order_store_email"),
            models.Index(fields=["store", "name"], name="order_store_name"),
            # A signed-in Shopify customer's orders (app proxy, customer accounts); guests have none.
            models.Index(
                fields=["store", "customer_id", "-placed_at"],
                name="order_store_customer",
                condition=~models.Q(customer_id=""),
            ),
        ]
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class LineItem(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="line_items", db_index=False)
    platform_id = models.CharField(max_length=64)
    product_id = models.CharField(max_length=64, blank=True)
    variant_id = models.CharField(max_length=64, blank=True)
    sku = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=255)
    variant_title = models.CharField(max_length=255, blank=True)
    product_type = models.CharField(max_length=255, blank=True)
    product_tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    quantity = models.PositiveIntegerField()
    fulfilled_quantity = models.PositiveIntegerField(default=0)
    unit_price = MoneyField()
    total_discount = MoneyField()
    position = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "order", "platform_id"], name="line_item_store_order_platform_id"
            )
        ]
        indexes = [models.Index(fields=["store", "order"], name="line_item_store_order")]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity - self.total_discount

    @property
    def unfulfilled_quantity(self) -> int:
        return max(self.quantity - self.fulfilled_quantity, 0)
