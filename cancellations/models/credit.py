"""Store credit the built-in store holds for its customers: an append-only ledger, one row per credit.

A customer's balance in a currency is the sum of their rows (by email, at one store). Rows are written
only by `cancellations/platforms/builtin_credit.py`, in the transaction of the effect they stand for,
so the effect ledger's key makes each credit happen once.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.models.effects import PlatformEffect
from cancellations.models.fields import MoneyField
from cancellations.models.orders import Order
from tenants.scoping import TenantModel


class StoreCreditEntry(TenantModel):
    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund paid as store credit")
        BONUS = "bonus", _("Store-credit bonus")

    email = models.EmailField(help_text="The customer's email, lower-cased.")
    customer_id = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, db_index=False)
    effect = models.ForeignKey(
        PlatformEffect, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["store", "email", "currency"], name="store_credit_store_email"),
            models.Index(fields=["store", "order"], name="store_credit_store_order"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} for {self.email}"
