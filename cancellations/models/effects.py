"""Effects carried out on a platform, keyed by idempotency key, and what the built-in store records.

A `PlatformEffect` row is written in the same transaction as the effect it stands for (the built-in
store) or around the platform call (Shopify), under a unique (store, idempotency_key): a retried
execution finds the row and returns the first outcome instead of acting again.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.catalogue import Variant
from cancellations.models.fields import MoneyField
from cancellations.models.orders import Order
from tenants.scoping import TenantModel

# Foreign keys below other than `store` carry no index of their own (db_index=False): every index on a
# tenant table leads with store_id, and the composite indexes in Meta serve the lookups we make.


class PlatformEffect(TenantModel):
    class Operation(models.TextChoices):
        CANCEL = "cancel", _("Cancel")
        EDIT = "edit", _("Edit")
        REORDER = "reorder", _("Reorder")
        # The refund less a restocking fee after a cancel that refunded nothing (Shopify).
        REFUND = "refund", _("Refund")
        # The store-credit bonus credited after a cancel refunded to store credit.
        CREDIT = "credit", _("Store credit")

    class Status(models.TextChoices):
        # Sent to the platform, outcome unknown (the process may have died mid-call).
        STARTED = "started", _("Started")
        # Accepted by the platform, finishing asynchronously (Shopify's cancel job).
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")

    idempotency_key = models.CharField(max_length=200)
    operation = models.CharField(max_length=20, choices=Operation.choices)
    # A digest of the request, so a key reused for a different request is refused, not misapplied.
    fingerprint = models.CharField(max_length=64)
    order_platform_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED)
    job_id = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="platform_effect_store_key")
        ]
        indexes = [
            models.Index(
                fields=["store", "status", "created_at"],
                name="platform_effect_unfinished",
                condition=~models.Q(status="completed"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} ({self.status})"


class RefundMethod(models.TextChoices):
    ORIGINAL = "original", _("Original payment method")
    STORE_CREDIT = "store_credit", _("Store credit")
    NONE = "none", _("No refund")


class Refund(TenantModel):
    """Money the built-in store gave back for an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, db_index=False, related_name="refunds")
    effect = models.ForeignKey(
        PlatformEffect, on_delete=models.SET_NULL, db_index=False, null=True, blank=True
    )
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=RefundMethod.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "order"], name="refund_store_order")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.method})"


class InventoryAdjustment(TenantModel):
    """A change to a built-in store variant's stock, and why."""

    class Reason(models.TextChoices):
        RESTOCK = "restock", _("Restocked")
        EDIT = "edit", _("Order edited")
        REORDER = "reorder", _("Reorder placed")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, db_index=False, related_name="adjustments")
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, db_index=False, null=True, blank=True)
    effect = models.ForeignKey(
        PlatformEffect, on_delete=models.SET_NULL, db_index=False, null=True, blank=True
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "variant"], name="inventory_adj_store_variant")]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.variant_id} ({self.reason})"
