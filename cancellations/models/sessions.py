"""Edit sessions: a run of edit saves to one order by one person, a few minutes apart at most.

Opened by the first save, extended by each later save within `EDIT_SESSION_MINUTES`; a save after a
longer pause opens a new session. The policy's cap counts sessions per order, and staff hear of a
session's edits once, `EDIT_SESSION_MINUTES` after its last save (`notify_after`), not once per save.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cancellations.models.orders import Order
from tenants.scoping import TenantModel


class EditSession(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Who is editing: "user:<id>", "email:<address>" or the actor's label; one session per person.
    editor = models.CharField(max_length=254)
    started_at = models.DateTimeField(default=timezone.now)
    last_save_at = models.DateTimeField(default=timezone.now)
    saves = models.PositiveIntegerField(default=0)
    # When staff are told of the session's edits (moved on by every save), and when they were.
    notify_after = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["store", "order", "-last_save_at"], name="edit_session_order"),
            models.Index(
                fields=["store", "notify_after"],
                name="edit_session_to_notify",
                condition=Q(notified_at__isnull=True),
            ),
        ]
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"edit session {self.pk} of order {self.order_id} ({self.saves} saves)"
