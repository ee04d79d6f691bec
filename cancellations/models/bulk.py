"""Bulk cancellation: a job that cancels many orders of one store, and one item per order it names.

Each item goes through the request lifecycle (an `OrderRequest` of kind cancel, requested and approved
by the staff member who started the job); the job drains at the platform's rate limit. The job's
`status` is the only source of truth for where it is; `JOB_TRANSITIONS` lists every move it may make
and `cancellations.bulk.services` is the only code that makes one (the drain moves queued -> running
-> completed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.fields import MoneyField
from cancellations.models.orders import Order
from cancellations.models.requests import OrderRequest
from tenants.scoping import TenantModel

# Foreign keys other than `store` carry no index of their own (db_index=False): every index on a tenant
# table leads with store_id, and the composite indexes in Meta serve the lookups we make.


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Stopped")
    COMPLETED = "completed", _("Completed")


J = BulkJobStatus

JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    J.QUEUED: frozenset({J.RUNNING, J.PAUSED, J.CANCELLED}),
    J.RUNNING: frozenset({J.PAUSED, J.CANCELLED, J.COMPLETED}),
    J.PAUSED: frozenset({J.QUEUED, J.CANCELLED}),
    J.CANCELLED: frozenset(),
    J.COMPLETED: frozenset(),
}
# A drain may work on a job in one of these (a paused or stopped job still finishes what it sent).
DRAINABLE_STATUSES: tuple[str, ...] = (J.QUEUED, J.RUNNING, J.PAUSED, J.CANCELLED)


class BulkCancelReason(models.TextChoices):
    """Why the store cancels, as the platform records it (Shopify's OrderCancelReason)."""

    CUSTOMER = "customer", _("The customer asked")
    FRAUD = "fraud", _("Fraud")
    INVENTORY = "inventory", _("Out of stock")
    DECLINED = "declined", _("Payment declined")
    STAFF = "staff", _("Staff error")
    OTHER = "other", _("Other")


class BulkItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Cancelled")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class BulkCancelJob(TenantModel):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    # Whose access the requests are made and approved with: the creator, or whoever resumed the job
    # after the creator lost the right to cancel orders.
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(max_length=20, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    start_key = models.CharField(
        max_length=64, help_text="The confirm form's key: a double submit is one job."
    )

    description = models.CharField(max_length=500, blank=True, help_text="The selection, in words.")
    selection = models.JSONField(default=dict, blank=True, help_text="The filters or the numbers pasted.")
    unknown_numbers = models.JSONField(
        default=list, blank=True, help_text="Pasted numbers that match no order of the store."
    )

    reason = models.CharField(max_length=20, choices=BulkCancelReason.choices)
    refund_method = models.CharField(max_length=20)
    restock = models.BooleanField(default=True)
    notify_customer = models.BooleanField(default=False)
    staff_note = models.CharField(max_length=255, blank=True)

    currency = models.CharField(max_length=3, blank=True)
    total_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    refund_total = MoneyField(help_text="To refund, as previewed.")
    refunded_total = MoneyField(help_text="Refunded by the orders cancelled so far.")

    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_error = models.TextField(blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Who started, paused, resumed, stopped.")

    # The drain's lease: a drain works on the job only while it holds the token; an expired lease
    # (a killed worker) is taken over. With no token, `lease_until` is when a drain should have started.
    lease_token = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "start_key"], name="bulk_job_store_start_key"),
        ]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="bulk_job_store_created"),
            models.Index(fields=["store", "status"], name="bulk_job_store_status"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Bulk cancellation #{self.pk} ({self.status})"

    @property
    def processed_count(self) -> int:
        return self.done_count + self.skipped_count + self.failed_count

    @property
    def pending_count(self) -> int:
        return max(self.total_count - self.processed_count, 0)

    @property
    def percent(self) -> int:
        if not self.total_count:
            return 100
        return int(100 * self.processed_count / self.total_count)

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def can_pause(self) -> bool:
        return J.PAUSED in JOB_TRANSITIONS[self.status]

    @property
    def can_resume(self) -> bool:
        return self.status == J.PAUSED

    @property
    def can_cancel(self) -> bool:
        return J.CANCELLED in JOB_TRANSITIONS[self.status]


class BulkCancelItem(TenantModel):
    job = models.ForeignKey(BulkCancelJob, on_delete=models.CASCADE, related_name="items", db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Kept apart from the order: the CSV names the order even if the mirror row changes.
    order_name = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=BulkItemStatus.choices, default=BulkItemStatus.PENDING)
    request = models.ForeignKey(
        OrderRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    message = models.TextField(blank=True)
    refund = MoneyField()
    currency = models.CharField(max_length=3, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the drain should next look at this item (a retry after a transient error, or a confirmation
    # of a cancel the platform finishes asynchronously); null means now.
    due_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "job", "order"], name="bulk_item_store_job_order"),
        ]
        indexes = [
            models.Index(fields=["store", "job", "status", "id"], name="bulk_item_store_job_status"),
            models.Index(
                fields=["store", "order"],
                condition=Q(status="pending"),
                name="bulk_item_store_order_pending",
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_name}: {self.status}"
