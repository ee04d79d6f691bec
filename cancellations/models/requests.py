"""Order requests: what a customer (or staff, a rule, an integration) asked to change, and its life.

`OrderRequest.status` is the only source of truth for where a request is; `TRANSITIONS` below is the
table of every move it may make, and `cancellations.requests.services` is the only code that makes one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.fields import MoneyField
from cancellations.models.orders import FinancialStatus, LineItem, Order
from tenants.scoping import TenantModel

# Foreign keys other than `store` carry no index of their own (db_index=False): every index on a tenant
# table leads with store_id, and the composite indexes in Meta serve the lookups we make.


class RequestKind(models.TextChoices):
    CANCEL = "cancel", _("Cancellation")
    EDIT = "edit", _("Change")
    REORDER = "reorder", _("Reorder")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AUTO_APPROVED = "auto_approved", _("Approved automatically")
    PENDING_REVIEW = "pending_review", _("Waiting for review")
    DENIED = "denied", _("Not allowed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXECUTING = "executing", _("In progress")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


S = RequestStatus

# Every move a request may make. Nothing else changes a status.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.AUTO_APPROVED, S.PENDING_REVIEW, S.DENIED}),
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.AUTO_APPROVED: frozenset({S.EXECUTING}),
    S.APPROVED: frozenset({S.EXECUTING}),
    S.EXECUTING: frozenset({S.COMPLETED, S.FAILED}),
    S.FAILED: frozenset({S.EXECUTING}),
    S.DENIED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.COMPLETED: frozenset(),
}

FINAL_STATUSES: tuple[str, ...] = (S.DENIED, S.REJECTED, S.WITHDRAWN, S.COMPLETED)
# Every status that is not final blocks another request of the same kind for the same order (a database
# constraint): two callers at the same moment cannot both open an auto-approved cancel.
OPEN_STATUSES: tuple[str, ...] = tuple(status for status in S.values if status not in FINAL_STATUSES)
# Work the executor still owes: the sweep re-sends any of these whose `next_attempt_at` has passed.
ACTIVE_STATUSES: tuple[str, ...] = (S.AUTO_APPROVED, S.APPROVED, S.EXECUTING)
# Approved, one way or another: what execution starts from.
EXECUTABLE_STATUSES: tuple[str, ...] = (S.AUTO_APPROVED, S.APPROVED)


def can_transition(from_status: str, to_status: str) -> bool:
    """Whether the table allows this move."""
    return to_status in TRANSITIONS.get(from_status, frozenset())


class ActorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Staff")
    AGENCY_STAFF = "agency_staff", _("Agency staff")
    RULE = "rule", _("Automation rule")
    API_TOKEN = "api_token", _("API token")
    SYSTEM = "system", _("Amend")


class Resolution(models.TextChoices):
    """How a request was decided (the status moves on; this stays)."""

    NONE = "", _("Not decided")
    AUTO_APPROVED = "auto_approved", _("Approved by the store's policy")
    DENIED = "denied", _("Not allowed by the store's policy")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OrderRequest(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="requests", db_index=False)
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)

    reason_code = models.CharField(max_length=60, blank=True)
    reason_text = models.TextField(blank=True, help_text="The customer's own words.")
    customer_message = models.TextField(
        blank=True, help_text="What the store told the customer (e.g. why not)."
    )
    refund_method = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    fee = MoneyField()
    refund_amount = MoneyField()
    # What the customer pays on top after a change raised the total: the estimate when submitted,
    # what the platform says is outstanding once carried out; and where they pay it.
    amount_owed = MoneyField()
    payment_url = models.URLField(max_length=2000, blank=True)
    # Added on top of a refund paid as store credit (credited once, as its own platform effect).
    store_credit_bonus = MoneyField()
    retention_offer_shown = models.BooleanField(default=False)
    retention_offer_accepted = models.BooleanField(default=False)
    # The edit session a customer's edit belongs to (None for other kinds and for staff edits).
    edit_session = models.ForeignKey(
        "cancellations.EditSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        db_index=False,
    )

    decision = models.JSONField(default=dict, blank=True, help_text="{outcome, reasons, trace, ...}")
    policy_version = models.PositiveIntegerField(default=0)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    requester_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    requester_label = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(
        blank=True, help_text="Staff's note on their decision (not shown to customers)."
    )
    resolution = models.CharField(
        max_length=20, choices=Resolution.choices, blank=True, default=Resolution.NONE
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    executed_at = models.DateTimeField(null=True, blank=True, help_text="When execution first started.")
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the executor is next due; the sweep re-sends overdue work."
    )
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=200)
    platform_job_id = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="order_request_store_key"),
            models.UniqueConstraint(
                fields=["store", "order", "kind"],
                condition=Q(status__in=OPEN_STATUSES),
                name="order_request_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-requested_at"], name="order_request_queue"),
            # The support queue pages by keyset on (requested_at, id), within a status or across all.
            models.Index(
                fields=["store", "status", "requested_at", "id"], name="order_request_keyset_status"
            ),
            models.Index(fields=["store", "requested_at", "id"], name="order_request_keyset_all"),
            models.Index(fields=["store", "order", "-requested_at"], name="order_request_order"),
            models.Index(fields=["store", "assigned_to", "status"], name="order_request_assignee"),
            models.Index(
                fields=["store", "next_attempt_at"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="order_request_due",
            ),
        ]
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def platform_key(self) -> str:
        """The idempotency key every platform call for this request carries: one effect per request."""
        return f"amend-request-{self.pk}"

    @property
    def payment_due(self) -> bool:
        """A change carried out left the customer owing, and the order is not paid in full yet."""
        return (
            self.amount_owed > 0
            and self.status == RequestStatus.COMPLETED
            and self.order.financial_status == FinancialStatus.PARTIALLY_PAID
        )

    @property
    def outcome(self) -> str:
        return str(self.decision.get("outcome", ""))

    @property
    def reasons(self) -> list[dict[str, str]]:
        return list(self.decision.get("reasons", []))


class RequestChange(TenantModel):
    """One line of an edit (or of a reorder that differs from the order), in the order given."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("New shipping address")
        QUANTITY = "quantity", _("New quantity")
        SWAP = "swap", _("Different size or colour")
        REMOVE = "remove", _("Remove item")
        ADD = "add", _("Added item")

    request = models.ForeignKey(
        OrderRequest, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    line = models.ForeignKey(LineItem, on_delete=models.SET_NULL, null=True, blank=True, db_index=False)
    # Kept apart from `line`: the line may be replaced on the platform after the edit.
    line_platform_id = models.CharField(max_length=64, blank=True)
    variant_platform_id = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    address = models.JSONField(default=dict, blank=True)
    price_difference = MoneyField()
    # What the line or the address was when the change was asked for, so "old -> new" still reads true
    # after the platform (and then the order mirror) took the change.
    before = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["store", "request", "position"], name="request_change_store_request_position"
            )
        ]
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.line_platform_id}".strip()


class RequestEvent(TenantModel):
    """Append-only: who did what to a request, and the status before and after."""

    request = models.ForeignKey(OrderRequest, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who acted, kept if the user goes.")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["store", "request", "at"], name="request_event_timeline"),
            models.Index(fields=["store", "-at"], name="request_event_store_at"),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}->{self.to_status}"


class RequestNote(TenantModel):
    """An internal note by staff on a request (never shown to the customer)."""

    request = models.ForeignKey(OrderRequest, on_delete=models.CASCADE, related_name="notes", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    author_label = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["store", "request", "created_at"], name="request_note_request")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]
