"""An import of a store's order history from its platform in one bulk export (Shopify's bulk operations).

The platform exports in the background; Amend polls it (or hears `bulk_operations/finish`), then reads
the file and mirrors every order. `status` is moved only by `cancellations.orders.imports`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantModel


class OrderImportStatus(models.TextChoices):
    EXPORTING = "exporting", _("The platform is exporting")
    READING = "reading", _("Mirroring the orders")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# An import in one of these is still under way.
IMPORT_OPEN_STATUSES: tuple[str, ...] = (OrderImportStatus.EXPORTING, OrderImportStatus.READING)


class OrderImport(TenantModel):
    status = models.CharField(
        max_length=12, choices=OrderImportStatus.choices, default=OrderImportStatus.EXPORTING
    )
    # The platform's id of the export (Shopify: gid://shopify/BulkOperation/...).
    operation_id = models.CharField(max_length=255)
    # Where the finished export can be downloaded (Shopify keeps it for a week).
    operation_url = models.URLField(max_length=2000, blank=True)
    # Orders created since this moment (None: the store's whole history).
    created_since = models.DateTimeField(null=True, blank=True)
    # What the platform reported it had exported so far (orders and their line items), and of that, orders.
    exported_objects = models.PositiveBigIntegerField(default=0)
    exported_orders = models.PositiveBigIntegerField(default=0)
    orders_read = models.PositiveBigIntegerField(default=0)
    orders_created = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["store", "-started_at"], name="orderimport_store_started")]
        constraints = [
            # One import under way per store: a second start finds the first.
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(status__in=IMPORT_OPEN_STATUSES),
                name="orderimport_one_open_per_store",
            )
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.operation_id} ({self.status})"
