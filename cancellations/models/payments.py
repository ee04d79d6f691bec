"""What the built-in store asks a customer to pay after a change raised an order's total."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from cancellations.models.effects import PlatformEffect
from cancellations.models.fields import MoneyField
from cancellations.models.orders import Order
from tenants.scoping import TenantModel


class BuiltinPayment(TenantModel):
    """A payment link of the built-in store: the customer opens it, pays, and the order is paid again."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments", db_index=False)
    effect = models.ForeignKey(
        PlatformEffect, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The secret part of the link: whoever holds it may pay, as with an emailed invoice.
    token = models.CharField(max_length=64)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["store", "token"], name="builtin_payment_store_token")]
        indexes = [models.Index(fields=["store", "order"], name="builtin_payment_store_order")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({'paid' if self.paid_at else 'owed'})"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None
