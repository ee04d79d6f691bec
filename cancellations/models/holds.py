"""Fulfilment held while a new order's change window is open, and when it is released.

One row per order (a unique (store, order)): the durable schedule of its release. The status is
written only by `cancellations/holds/services.py`; a beat sweep releases what is due, so a release
survives a worker restart and is late by at most one sweep interval.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import Order
from tenants.scoping import TenantModel

# What Amend calls its hold on the platform (Shopify's `handle`: unique among one app's holds on one
# fulfilment order, at most 64 characters), so a retried hold is refused as a duplicate, not doubled.
HOLD_HANDLE = "amend-change-window"


class HoldStatus(models.TextChoices):
    # Recorded, not yet placed on the platform.
    PENDING = "pending", _("Being placed")
    HELD = "held", _("Held")
    # The release has begun on the platform; the sweep finishes a release a dead worker left here.
    RELEASING = "releasing", _("Being released")
    RELEASED = "released", _("Released")
    # The platform refused the hold (e.g. a permission the store has not granted): nothing is held.
    FAILED = "failed", _("Not held")


# A hold that keeps (or may keep) the warehouse from fulfilling the order.
ACTIVE_HOLD_STATUSES = (HoldStatus.PENDING, HoldStatus.HELD, HoldStatus.RELEASING)


class ReleaseReason(models.TextChoices):
    WINDOW_CLOSED = "window_closed", _("The change window closed")
    CUSTOMER = "customer", _("The customer had nothing to change")
    STAFF = "staff", _("Released by staff")
    # The order was cancelled or changed so that holding it means nothing any more.
    ORDER_CLOSED = "order_closed", _("The order was cancelled")


class FulfilmentHold(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, db_index=False, related_name="+")
    status = models.CharField(max_length=20, choices=HoldStatus.choices, default=HoldStatus.PENDING)
    release_at = models.DateTimeField(help_text="When the change window closes and the hold is released.")
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=20, choices=ReleaseReason.choices, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    # The platform's holds: [{"fulfillment_order": id, "hold": id}, ...] (empty for the built-in store).
    platform_holds = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store", "order"], name="fulfilment_hold_store_order")]
        indexes = [
            # The sweep's look-up of what is due, and the held-orders page.
            models.Index(
                fields=["store", "status", "release_at"],
                name="fulfilment_hold_due",
                condition=models.Q(status__in=["pending", "held", "releasing"]),
            ),
            models.Index(fields=["store", "-created_at"], name="fulfilment_hold_recent"),
        ]
        ordering = ["release_at", "id"]

    def __str__(self) -> str:
        return f"hold of order {self.order_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_HOLD_STATUSES
